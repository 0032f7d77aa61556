// Commune fields: suggestions from /communes.json in a <datalist> (the browser's own accessible
// list). In « Proposer un lieu », choosing one fills the hidden INSEE code and the postcode; in
// the directory's « Près de la commune » the label chosen (« Caen (14000) ») is what the server
// reads. Without JavaScript the server finds the commune from what was typed. Listening on the
// document: the directory's form is replaced by htmx after each change.
(function () {
  "use strict";
  var url = document.documentElement.lang === "en" ? "/en/communes.json" : "/communes.json";
  var byLabel = {};
  var timer = null;

  function show(list, results) {
    list.textContent = "";
    byLabel = {};
    results.forEach(function (commune) {
      var option = document.createElement("option");
      option.value = commune.label;
      list.appendChild(option);
      byLabel[commune.label] = commune;
    });
  }

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("[data-commune-autocomplete]")) return;
    var list = document.getElementById(input.getAttribute("list"));
    var insee = document.getElementById("id_insee");
    var postcode = document.getElementById("id_postcode");
    var chosen = byLabel[input.value];
    if (chosen) {
      if (insee) {
        input.value = chosen.name;
        insee.value = chosen.insee;
        if (postcode && !postcode.value && chosen.postcodes.length === 1) {
          postcode.value = chosen.postcodes[0];
        }
      }
      return; // otherwise the label is the value
    }
    if (insee) insee.value = "";
    clearTimeout(timer);
    var query = input.value.trim();
    if (query.length < 2 || !list) return;
    timer = setTimeout(function () {
      fetch(url + "?q=" + encodeURIComponent(query), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) { show(list, data.results); })
        .catch(function () { show(list, []); });
    }, 150);
  });
})();
