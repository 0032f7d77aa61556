/* The directory's maps: every element with data-map gets a Leaflet map (canvas renderer, circle
   markers, so that thousands of places stay smooth). data-geojson: a URL of /lieux.geojson;
   data-lat/data-lon: one point. Tiles and attribution come from the settings via data-tiles
   and data-attribution. The list remains the primary way; the map is an extra. */
(function () {
  "use strict";

  function popup(properties) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = properties.url;
    link.textContent = properties.name;
    box.appendChild(link);
    if (properties.commune) {
      box.appendChild(document.createElement("br"));
      box.appendChild(document.createTextNode(properties.commune));
    }
    return box;
  }

  function setUp(element) {
    var map = L.map(element, { preferCanvas: true, scrollWheelZoom: false });
    L.tileLayer(element.dataset.tiles, {
      attribution: element.dataset.attribution,
      maxZoom: 18
    }).addTo(map);
    var style = { radius: 6, color: "#ffffff", weight: 1.5, fillColor: "#00587a", fillOpacity: 0.9 };
    if (element.dataset.lat) {
      var point = [parseFloat(element.dataset.lat), parseFloat(element.dataset.lon)];
      L.circleMarker(point, Object.assign({}, style, { radius: 9 })).addTo(map);
      map.setView(point, 14);
      element.dataset.markers = "1";
      return;
    }
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

  document.querySelectorAll("[data-map]").forEach(setUp);
})();
