/* startline race page: search, filters, sort and paging without reloads, a watch list kept in
 * this browser, and live updates. The page works without this file; this only enhances it.
 *
 * Live: the server's stream says "edition N changed up to P"; the page then asks for what
 * changed after the position it stands at (one shared, cached answer per position) and
 * patches its rows in place, keeping the visitor's search, filters, sort, stars and scroll.
 * At most one such request at a time and about two a second. Where the stream fails, the
 * page polls the same answer with If-None-Match. */
(function () {
  "use strict";

  var dataNode = document.getElementById("page-data");
  var table = document.getElementById("runners");
  if (!dataNode || !table) return;
  var data = JSON.parse(dataNode.textContent);
  var tbody = table.tBodies[0];
  var api = data.api + "/editions/" + data.edition_id;
  var MIN_GAP_MS = 500;
  var POLL_MS = 2000;

  var view = {
    event: data.event_id, gender: data.gender, state: data.state, q: data.q,
    sort: data.sort, order: data.order, page: data.page, per_page: data.per_page,
    watched: false
  };
  var search = data.search;      // {bib, folded} of the list shown, or null
  var pages = data.pages;
  var total = data.total;
  var counts = data.counts;
  var cursor = parseCursor(data.cursor);

  function parseCursor(text) {
    var cut = text.lastIndexOf(".");
    return { epoch: text.slice(0, cut), position: parseInt(text.slice(cut + 1), 10) };
  }

  /* --- watch list ------------------------------------------------------------------------ */
  var watchKey = "startline.watch." + data.race_id;
  function loadWatched() {
    try { return new Set(JSON.parse(localStorage.getItem(watchKey) || "[]")); }
    catch (e) { return new Set(); }
  }
  var watched = loadWatched();
  function saveWatched() {
    try { localStorage.setItem(watchKey, JSON.stringify(Array.from(watched))); } catch (e) { /* private mode */ }
  }

  function nameOf(row) { return row.querySelector(".c-name").textContent; }

  function decorate(row) {
    var id = parseInt(row.dataset.id, 10);
    var cell = row.querySelector(".c-star");
    var button = cell.querySelector("button");
    if (!button) {
      button = document.createElement("button");
      button.type = "button";
      button.className = "star";
      cell.appendChild(button);
    }
    var on = watched.has(id);
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.setAttribute("aria-label", (on ? "Stop watching " : "Watch ") + nameOf(row));
    button.textContent = on ? "\u2605" : "\u2606";
    row.classList.toggle("watched", on);
  }

  tbody.addEventListener("click", function (event) {
    var button = event.target.closest("button.star");
    if (!button) return;
    var row = button.closest("tr");
    var id = parseInt(row.dataset.id, 10);
    if (watched.has(id)) watched.delete(id); else watched.add(id);
    saveWatched();
    decorate(row);
    if (view.watched && !watched.has(id)) { row.remove(); total -= 1; showSummary(); }
  });

  /* --- order (the server's keys: fixed ascending, then by direction, then id) ------------- */
  function compareValues(a, b) {
    if (a === b) return 0;
    if (a === null) return -1;
    if (b === null) return 1;
    return a < b ? -1 : 1;
  }
  function compareKeys(ka, ida, kb, idb) {
    var i, c, dir = view.order === "desc" ? -1 : 1;
    for (i = 0; i < ka[0].length; i++) { c = compareValues(ka[0][i], kb[0][i]); if (c) return c; }
    for (i = 0; i < ka[1].length; i++) { c = compareValues(ka[1][i], kb[1][i]); if (c) return c * dir; }
    return compareValues(ida, idb) * dir;
  }
  function rowKey(row) { return JSON.parse(row.dataset.key); }

  /* --- rows ------------------------------------------------------------------------------ */
  function stateWord(state) { return data.state_words[state] || state; }

  function fill(row, runner, key) {
    row.dataset.id = runner.id;
    row.dataset.event = runner.event_id;
    row.dataset.gender = runner.gender || "";
    row.dataset.state = runner.state;
    row.dataset.key = JSON.stringify(key);
    var cells = row.cells;
    cells[1].textContent = runner.bib || "";
    cells[2].textContent = runner.first_name + " " + runner.last_name;
    cells[3].textContent = runner.team || "";
    cells[4].textContent = (runner.country || "").toUpperCase();
    cells[5].textContent = runner.gender || "";
    cells[6].textContent = data.events[String(runner.event_id)] || "";
    var badge = cells[7].firstChild;
    badge.className = "state s-" + (data.bucket_of[runner.state] || "other");
    badge.textContent = stateWord(runner.state);
    decorate(row);
  }

  function newRow() {
    var row = document.createElement("tr");
    var classes = ["c-star", "c-bib", "c-name", "c-team", "c-country", "c-gender", "c-event", "c-state"];
    classes.forEach(function (name) {
      var cell = document.createElement(name === "c-name" ? "th" : "td");
      if (name === "c-name") cell.scope = "row";
      cell.className = name;
      row.appendChild(cell);
    });
    row.cells[7].appendChild(document.createElement("span"));
    return row;
  }

  function flash(row) {
    row.classList.remove("flash");
    void row.offsetWidth;  // restart the animation
    row.classList.add("flash");
  }

  /* --- the visitor's view -------------------------------------------------------------- */
  function viewParams(forApi) {
    var params = new URLSearchParams();
    if (view.event) params.set("event", view.event);
    if (view.gender) params.set("gender", view.gender);
    if (view.state) params.set("state", view.state);
    if (view.q) params.set("q", view.q);
    if (view.sort !== "bib") params.set("sort", view.sort);
    if (view.order === "desc") params.set("order", "desc");
    if (view.page > 1) params.set("page", view.page);
    if (view.per_page !== 100) params.set("per_page", view.per_page);
    if (forApi && view.watched) params.set("ids", Array.from(watched).slice(0, 500).join(","));
    return params;
  }

  function matches(runner) {
    if (view.event && runner.event_id !== view.event) return false;
    if (view.gender && runner.gender !== view.gender) return false;
    if (view.state && data.bucket_of[runner.state] !== view.state) return false;
    if (view.watched && !watched.has(runner.id)) return false;
    if (search && runner.bib !== search.bib && runner.folded_name.indexOf(search.folded) < 0) return false;
    return true;
  }

  var viewRequest = 0;
  function loadView() {
    var ticket = ++viewRequest;
    if (view.watched && watched.size === 0) {
      render({ runners: [], total: 0, page: 1, pages: 1, per_page: view.per_page, search: null });
      return Promise.resolve();
    }
    return fetch(api + "/runners?" + viewParams(true).toString(), { headers: { Accept: "application/json" } })
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
      .then(function (body) { if (ticket === viewRequest) render(body); })
      .catch(function () { /* the next action or change tries again */ });
  }

  function render(body) {
    var existing = new Map();
    Array.prototype.forEach.call(tbody.rows, function (row) { existing.set(row.dataset.id, row); });
    var fragment = document.createDocumentFragment();
    body.runners.forEach(function (runner) {
      var row = existing.get(String(runner.id)) || newRow();
      fill(row, runner, runner.key);
      fragment.appendChild(row);
    });
    tbody.replaceChildren(fragment);
    search = body.search;
    total = body.total;
    pages = body.pages;
    view.page = body.page;
    showSummary();
    showPager();
    showSort();
    showCounts();
    syncUrl();
  }

  function showSummary() {
    var shown = tbody.rows.length;
    var first = (view.page - 1) * view.per_page + 1;
    document.getElementById("summary").textContent = shown
      ? "Showing " + first.toLocaleString("en") + "\u2013" + (first + shown - 1).toLocaleString("en") +
        " of " + Math.max(total, shown).toLocaleString("en") + " runners"
      : "No runners match.";
    document.getElementById("empty").hidden = shown > 0;
  }

  function showPager() {
    var pager = document.getElementById("pager");
    pager.replaceChildren();
    function link(label, page, rel) {
      var a = document.createElement("a");
      a.href = "?" + pageUrlParams({ page: page }).toString();
      a.rel = rel;
      a.textContent = label;
      a.dataset.page = page;
      pager.appendChild(a);
    }
    if (view.page > 1) link("\u2190 Previous", view.page - 1, "prev");
    var of = document.createElement("span");
    of.className = "page-of";
    of.textContent = "Page " + view.page + " of " + pages;
    pager.appendChild(of);
    if (view.page < pages) link("Next \u2192", view.page + 1, "next");
  }

  function showSort() {
    var words = { bib: "bib", name: "name", state: "state" };
    table.caption.textContent = "Runners, sorted by " + words[view.sort] +
      (view.order === "desc" ? " (descending)" : "");
    table.querySelectorAll("thead a[data-sort]").forEach(function (a) {
      var th = a.parentNode;
      var column = a.dataset.sort;
      var active = column === view.sort;
      if (active) th.setAttribute("aria-sort", view.order === "desc" ? "descending" : "ascending");
      else th.removeAttribute("aria-sort");
      a.lastChild.textContent = active ? (view.order === "desc" ? " \u25BC" : " \u25B2") : "";
      var next = active && view.order !== "desc" ? "desc" : "asc";
      a.href = "?" + pageUrlParams({ sort: column, order: next, page: 1 }).toString();
    });
  }

  function showCounts() {
    var shown = view.event ? counts.events[String(view.event)] : counts.all;
    document.querySelectorAll("#counts [data-count]").forEach(function (node) {
      var n = shown ? shown[node.dataset.count] || 0 : 0;
      node.textContent = n.toLocaleString("en");
    });
    document.querySelectorAll("#counts a[data-bucket]").forEach(function (a) {
      var bucket = a.dataset.bucket === "entered" ? null : a.dataset.bucket;
      if (bucket === (view.state || null)) a.setAttribute("aria-current", "true");
      else a.removeAttribute("aria-current");
    });
    document.querySelectorAll(".tabs a").forEach(function (a) {
      var event = new URL(a.href).searchParams.get("event");
      if ((event ? parseInt(event, 10) : null) === (view.event || null)) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    });
  }

  function pageUrlParams(changes) {
    var saved = {};
    Object.keys(changes).forEach(function (name) { saved[name] = view[name]; view[name] = changes[name]; });
    var params = viewParams(false);
    Object.keys(saved).forEach(function (name) { view[name] = saved[name]; });
    var edition = new URLSearchParams(location.search).get("edition");
    if (edition) params.set("edition", edition);
    return params;
  }

  function syncUrl() {
    var query = pageUrlParams({}).toString();
    history.replaceState(null, "", location.pathname + (query ? "?" + query : ""));
  }

  /* --- controls -------------------------------------------------------------------------- */
  var form = document.getElementById("find");
  var input = document.getElementById("q");
  var gender = document.getElementById("gender");
  var state = document.getElementById("state");
  var watchedOnly = document.getElementById("watched-only");
  watchedOnly.parentNode.hidden = false;

  var typing = null;
  input.addEventListener("input", function () {
    clearTimeout(typing);
    typing = setTimeout(function () { view.q = input.value.trim(); view.page = 1; loadView(); }, 250);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(typing);
    view.q = input.value.trim();
    view.page = 1;
    loadView();
  });
  gender.addEventListener("change", function () { view.gender = gender.value || null; view.page = 1; loadView(); });
  state.addEventListener("change", function () { view.state = state.value || null; view.page = 1; loadView(); });
  watchedOnly.addEventListener("change", function () { view.watched = watchedOnly.checked; view.page = 1; loadView(); });

  // Tabs, counts, sort headers and pages: the same links, answered without a reload.
  document.addEventListener("click", function (event) {
    var a = event.target.closest(".tabs a, #counts a, thead a[data-sort], #pager a");
    if (!a || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    var params = new URL(a.href).searchParams;
    view.event = params.get("event") ? parseInt(params.get("event"), 10) : null;
    view.state = params.get("state");
    view.sort = params.get("sort") || "bib";
    view.order = params.get("order") || "asc";
    view.page = parseInt(params.get("page") || "1", 10);
    state.value = view.state || "";
    loadView();
  });

  /* --- live ------------------------------------------------------------------------------ */
  var badge = document.getElementById("live");
  function setLive(mode, text) {
    badge.hidden = false;
    badge.dataset.state = mode;
    badge.querySelector(".live-text").textContent = text;
  }

  var inFlight = false;
  var pending = false;
  var lastStart = 0;
  var etag = null;
  var timer = null;

  function refresh() {
    if (inFlight) { pending = true; return; }
    var wait = lastStart + MIN_GAP_MS - Date.now();
    if (wait > 0) {
      pending = true;
      if (!timer) timer = setTimeout(function () { timer = null; refresh(); }, wait);
      return;
    }
    pending = false;
    inFlight = true;
    lastStart = Date.now();
    var headers = { Accept: "application/json" };
    if (etag) headers["If-None-Match"] = etag;
    fetch(api + "/changes?since=" + cursor.position, { headers: headers, cache: "no-store" })
      .then(function (response) {
        if (response.status === 304) return null;
        if (response.status === 404) { gone(); return null; }
        if (!response.ok) throw new Error(response.status);
        etag = response.headers.get("ETag");
        return response.json();
      })
      .then(function (delta) { if (delta) apply(delta); })
      .catch(function () { pending = true; })
      .then(function () {
        inFlight = false;
        if (pending) refresh();
      });
  }

  function apply(delta) {
    if (delta.epoch !== cursor.epoch || delta.reload) { location.reload(); return; }
    if (delta.position <= cursor.position && !delta.runners.length && !delta.removed.length) return;
    cursor.position = Math.max(cursor.position, delta.position);
    if (delta.counts) { counts = delta.counts; showCounts(); }
    if (delta.reset) { loadView(); return; }
    delta.removed.forEach(function (id) {
      var row = tbody.querySelector('tr[data-id="' + id + '"]');
      if (row) { row.remove(); total -= 1; }
    });
    delta.runners.forEach(place);
    showSummary();
  }

  function place(runner) {
    var row = tbody.querySelector('tr[data-id="' + runner.id + '"]');
    var fits = matches(runner);
    if (row && !fits) { row.remove(); total -= 1; return; }
    if (!fits) return;
    var key = runner.keys[view.sort];
    if (row) {
      var moved = JSON.stringify(key) !== row.dataset.key;
      fill(row, runner, key);
      if (moved) { row.remove(); insert(row, key, runner.id); }
      flash(row);
      return;
    }
    total += 1;
    row = newRow();
    fill(row, runner, key);
    if (insert(row, key, runner.id)) flash(row);
  }

  // Put a row where the order says, if that is on the page shown; false when it is not.
  function insert(row, key, id) {
    var rows = tbody.rows;
    var last = view.page >= pages;
    for (var i = 0; i < rows.length; i++) {
      if (compareKeys(key, id, rowKey(rows[i]), parseInt(rows[i].dataset.id, 10)) < 0) {
        if (i === 0 && view.page > 1) return false;  // belongs on an earlier page
        tbody.insertBefore(row, rows[i]);
        return true;
      }
    }
    if (!last) return false;  // belongs on a later page
    tbody.appendChild(row);
    return true;
  }

  function gone() {
    setLive("offline", "No longer public");
    if (source) source.close();
    clearInterval(poller);
  }

  var source = null;
  var poller = null;
  var opened = false;
  function startPolling() {
    if (poller) return;
    setLive("polling", "Updating every few seconds");
    poller = setInterval(refresh, POLL_MS);
  }
  function stopPolling() { clearInterval(poller); poller = null; }

  if (window.EventSource) {
    var since = encodeURIComponent(cursor.epoch + "." + cursor.position);
    source = new EventSource(api + "/stream?since=" + since);
    setLive("connecting", "Connecting\u2026");
    var fallback = setTimeout(startPolling, 8000);
    source.onopen = function () {
      opened = true;
      clearTimeout(fallback);
      stopPolling();
      setLive("live", "Live");
      refresh();  // catch up on anything missed while disconnected
    };
    source.addEventListener("changed", function () { refresh(); });
    source.addEventListener("reload", function () { location.reload(); });
    source.addEventListener("gone", gone);
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) { startPolling(); return; }
      setLive("connecting", "Reconnecting\u2026");
      if (opened) { clearTimeout(fallback); fallback = setTimeout(startPolling, 8000); }
    };
  } else {
    startPolling();
  }

  Array.prototype.forEach.call(tbody.rows, decorate);
})();
