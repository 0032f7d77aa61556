/* The directory's maps (Leaflet). data-lat/data-lon: one place. data-points: the map of the
   directory, whose markers come from /carte/points.json for the view on screen: clusters
   counted on the server (a few hundred markers whatever the number of places), each a
   keyboard-reachable button that zooms in; single places with their popup. Beside it, the
   places in view as a list of links (the map's text alternative). It opens on the matching
   places (data-bounds), or on mainland France; buttons go to each overseas département.
   Without tiles the markers stay and a notice says why the background is empty; without
   JavaScript the map's box says where the list is. */
(function () {
  "use strict";

  function popup(place) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = place.url;
    link.textContent = place.name;
    box.appendChild(link);
    if (place.commune) {
      box.appendChild(document.createElement("br"));
      box.appendChild(document.createTextNode(place.commune));
    }
    return box;
  }

  function format(template, count) {
    return template.replace("%(count)s", count.toLocaleString(document.documentElement.lang));
  }

  function tiles(element, map) {
    var layer = L.tileLayer(element.dataset.tiles, {
      attribution: element.dataset.attribution,
      maxZoom: 18
    }).addTo(map);
    var notice = document.getElementById("tiles-notice");
    layer.on("tileerror", function () {
      if (notice && element.dataset.tilesError && !notice.textContent) {
        notice.textContent = element.dataset.tilesError;
      }
    });
  }

  function onePlace(element) {
    var map = L.map(element, { scrollWheelZoom: false });
    tiles(element, map);
    var point = [parseFloat(element.dataset.lat), parseFloat(element.dataset.lon)];
    L.circleMarker(point, { radius: 9, color: "#ffffff", weight: 1.5, fillColor: "#00587a", fillOpacity: 0.9 }).addTo(map);
    map.setView(point, 14);
    element.dataset.markers = "1";
  }

  function directoryMap(element) {
    var fallback = element.querySelector(".map-fallback");
    if (fallback) { fallback.remove(); }
    var map = L.map(element, { scrollWheelZoom: false });
    tiles(element, map);
    var layer = L.layerGroup().addTo(map);
    var status = document.getElementById(element.dataset.status);
    var section = document.getElementById(element.dataset.list);
    var list = section.querySelector("ol");
    var count = section.querySelector("[data-count]");
    var boxes = JSON.parse(element.dataset.boxes);
    var pending = null;
    section.hidden = false;

    function fit(box) {  // [south, west, north, east]
      map.fitBounds([[box[0], box[1]], [box[2], box[3]]], { padding: [10, 10], maxZoom: 13 });
    }

    function clusterIcon(n) {
      var label = document.createElement("span");
      label.textContent = n.toLocaleString(document.documentElement.lang);
      var size = n < 10 ? 30 : n < 100 ? 36 : n < 1000 ? 44 : 52;
      return L.divIcon({ className: "map-cluster", html: label, iconSize: [size, size] });
    }

    function draw(data) {
      layer.clearLayers();
      data.clusters.forEach(function (cluster) {
        var marker = L.marker([cluster[0], cluster[1]], {
          icon: clusterIcon(cluster[2]),
          title: format(element.dataset.cluster, cluster[2]),
          alt: format(element.dataset.cluster, cluster[2]),
          keyboard: true,
          riseOnHover: true
        });
        // a button: the pointer, Enter or Space zoom in on it (Leaflet turns only clicks into
        // "click"; keys come as "keypress")
        marker.on("click keypress", function (event) {
          var key = event.originalEvent && event.originalEvent.key;
          if (event.type === "keypress" && key !== "Enter" && key !== " ") { return; }
          map.setView([cluster[0], cluster[1]], Math.min(map.getZoom() + 2, 18));
        });
        layer.addLayer(marker);
      });
      data.places.forEach(function (place) {
        var marker = L.marker([place.lat, place.lon], {
          icon: L.divIcon({ className: "map-point", iconSize: [16, 16] }),
          title: place.name,
          alt: place.name,
          keyboard: true
        });
        marker.bindPopup(popup(place));
        layer.addLayer(marker);
      });
      list.textContent = "";
      data.listed.forEach(function (place) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = place.url;
        link.textContent = place.name;
        item.appendChild(link);
        if (place.commune) { item.appendChild(document.createTextNode(" — " + place.commune)); }
        list.appendChild(item);
      });
      var text = data.in_view === 1 ? count.dataset.one : format(count.dataset.many, data.in_view);
      if (data.in_view > data.listed.length) { text += " " + format(count.dataset.more, data.listed.length); }
      count.textContent = text;
      element.dataset.markers = String(data.clusters.length + data.places.length);
      element.dataset.inView = String(data.in_view);
    }

    function load() {
      var bounds = map.getBounds();
      var url = element.dataset.points + "&bbox=" + [
        Math.max(bounds.getWest(), -180), Math.max(bounds.getSouth(), -90),
        Math.min(bounds.getEast(), 180), Math.min(bounds.getNorth(), 90)
      ].map(function (value) { return value.toFixed(4); }).join(",") + "&zoom=" + map.getZoom();
      if (pending) { pending.abort(); }
      pending = new AbortController();
      fetch(url, { headers: { Accept: "application/json" }, signal: pending.signal })
        .then(function (response) {
          if (!response.ok) { throw new Error(response.status); }
          return response.json();
        })
        .then(draw)
        .catch(function (error) {
          if (error.name !== "AbortError" && status) { status.textContent = status.dataset.error; }
        });
    }

    map.on("moveend", load);
    fit(JSON.parse(element.dataset.bounds));

    var views = document.querySelector(".map-views");
    if (views) {
      views.hidden = false;
      views.addEventListener("click", function (event) {
        var button = event.target.closest("[data-territory]");
        if (button) { fit(boxes[button.dataset.territory]); }
      });
    }
  }

  // The embed (/embed/lieux/): every matching place from /lieux.geojson, on a canvas.
  function geojsonMap(element) {
    var map = L.map(element, { preferCanvas: true, scrollWheelZoom: false });
    tiles(element, map);
    var style = { radius: 6, color: "#ffffff", weight: 1.5, fillColor: "#00587a", fillOpacity: 0.9 };
    map.setView([46.6, 2.4], 5);
    fetch(element.dataset.geojson, { headers: { Accept: "application/geo+json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      })
      .then(function (data) {
        var layer = L.geoJSON(data, {
          pointToLayer: function (feature, latlng) { return L.circleMarker(latlng, style); },
          onEachFeature: function (feature, marker) { marker.bindPopup(popup(feature.properties)); }
        }).addTo(map);
        element.dataset.markers = String(data.features.length);
        if (data.features.length) {
          map.fitBounds(layer.getBounds(), { padding: [20, 20], maxZoom: 12 });
        }
      })
      .catch(function () {
        var status = document.getElementById(element.dataset.status);
        if (status) { status.textContent = status.dataset.error; }
      });
  }

  document.querySelectorAll("[data-map]").forEach(function (element) {
    if (element.dataset.lat) {
      onePlace(element);
    } else if (element.dataset.points) {
      directoryMap(element);
    } else if (element.dataset.geojson) {
      geojsonMap(element);
    }
  });
})();
