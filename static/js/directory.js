/* The directory's form (htmx swaps #directory after each change), for phones and keyboards:
   - on a phone the filters fold into #filter-panel, opened by the sticky « Filtrer (n) »
     button and closed by « Voir les n lieux »; the panel stays as it was across swaps;
   - focus is never lost: htmx puts it back on the element of the same id after a swap; a chip
     removed gives it to the next chip, or to the results' heading;
   - the sort menu (data-apply="commit") does not fire a request at each arrow key: the
     choice applies on Enter or when leaving the menu (a pointer choice applies at once).
   Without JavaScript the form submits as usual and everything is unfolded. */
(function () {
  "use strict";
  var state = { open: false, chip: null, focused: null };

  function byId(id) { return document.getElementById(id); }

  function showPanel() {
    var panel = byId("filter-panel");
    var toggle = byId("filter-toggle");
    if (!panel || !toggle) { return; }
    // an attribute, not a class: htmx puts classes back as the server wrote them when it settles
    panel.toggleAttribute("data-open", state.open);
    toggle.setAttribute("aria-expanded", String(state.open));
  }

  function focusResults() {
    var heading = byId("results-title");
    if (heading) { heading.focus(); }
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest("#filter-toggle, #filter-close, .chips a");
    if (!target) { return; }
    if (target.id === "filter-toggle") {
      state.open = !state.open;
      showPanel();
      if (state.open) {
        var first = byId("filter-panel").querySelector("input, select, button");
        if (first) { first.focus(); }
      }
    } else if (target.id === "filter-close") {
      state.open = false;
      showPanel();
      focusResults();
    } else {
      var chips = Array.prototype.slice.call(document.querySelectorAll(".chips a"));
      state.chip = chips.indexOf(target);
    }
  });

  document.addEventListener("htmx:beforeSwap", function () {
    var active = document.activeElement;
    state.focused = active && active.id;
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || target.id !== "directory") { return; }
    showPanel();
    if (state.chip !== null) {
      var chips = document.querySelectorAll(".chips a.chip");
      var next = chips[state.chip];
      state.chip = null;
      if (next) { next.focus(); } else { focusResults(); }
    } else if (!document.activeElement || document.activeElement === document.body) {
      // htmx could not put focus back where it was (the panel was still folded): do it here
      var previous = state.focused && byId(state.focused);
      if (previous && previous.getClientRects().length) { previous.focus(); } else { focusResults(); }
    }
  });

  // A last net, once htmx has settled the new content: focus is never left on <body>.
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || target.id !== "directory") { return; }
    if (!document.activeElement || document.activeElement === document.body) { focusResults(); }
  });

  // The sort menu: arrow keys move the choice without a request; Enter or leaving applies it.
  var keyboard = false;
  document.addEventListener("keydown", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("select[data-apply=commit]")) { return; }
    if (event.key === "Enter" && select.dataset.pending) {
      event.preventDefault();
      commit(select);
    } else if (event.key !== "Tab") {
      keyboard = true;
    }
  }, true);
  document.addEventListener("pointerdown", function () { keyboard = false; }, true);
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (keyboard && select.matches && select.matches("select[data-apply=commit]") && !select.dataset.committing) {
      event.stopPropagation();  // htmx listens on the form: it does not hear this one
      select.dataset.pending = "1";
    }
  }, true);
  document.addEventListener("focusout", function (event) {
    var select = event.target;
    if (select.matches && select.matches("select[data-apply=commit]") && select.dataset.pending) {
      commit(select);
    }
  });

  function commit(select) {
    delete select.dataset.pending;
    keyboard = false;
    select.dataset.committing = "1";
    select.dispatchEvent(new Event("change", { bubbles: true }));
    delete select.dataset.committing;
  }

  showPanel();
})();
