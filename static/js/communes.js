// The commune field of « Proposer un lieu »: suggestions from /communes.json in a <datalist>
// (the browser's own accessible list); choosing one fills the hidden INSEE code and the
// postcode. Without JavaScript the server finds the commune from its name and postcode.
(function () {
  "use strict";
  var input = document.querySelector("[data-commune-autocomplete]");
  if (!input) return;
  var list = document.getElementById("communes-list");
  var insee = document.getElementById("id_insee");
  var postcode = document.getElementById("id_postcode");
  var url = document.documentElement.lang === "en" ? "/en/communes.json" : "/communes.json";
  var byLabel = {};
  var timer = null;

  function show(results) {
    list.textContent = "";
    byLabel = {};
    results.forEach(function (commune) {
      var option = document.createElement("option");
      option.value = commune.label;
      list.appendChild(option);
      byLabel[commune.label] = commune;
    });
  }

  input.addEventListener("input", function () {
    var chosen = byLabel[input.value];
    if (chosen) {
      input.value = chosen.name;
      insee.value = chosen.insee;
      if (postcode && !postcode.value && chosen.postcodes.length === 1) {
        postcode.value = chosen.postcodes[0];
      }
      return;
    }
    insee.value = "";
    clearTimeout(timer);
    var query = input.value.trim();
    if (query.length < 2) return;
    timer = setTimeout(function () {
      fetch(url + "?q=" + encodeURIComponent(query), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) { show(data.results); })
        .catch(function () { show([]); });
    }, 150);
  });
})();
