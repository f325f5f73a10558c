// Stadshus web page: one question box, answers with clickable citations, and the cited document's text.
// Every piece of text from the API is inserted as a text node (textContent / createTextNode), never as HTML.
"use strict";

const SEARCH_RESULTS = 10;
const INVOLVEMENT = {
  "har": { label: "Gör redan", hint: "Dokumenten säger att stadsdelen gör detta." },
  "kommer att": { label: "Kommer att", hint: "Dokumenten säger att stadsdelen ska göra detta." },
  "planerar": { label: "Planerar", hint: "Dokumenten säger att stadsdelen planerar detta." },
  "nämner": { label: "Nämns", hint: "Stadsdelen nämns i samband med frågan." },
};
const MODE_HINTS = {
  ask: "Du får ett svar där varje påstående citerar dokumenten ordagrant.",
  search: "Du får de textstycken i dokumenten som passar bäst, bäst först.",
};

const $ = (id) => document.getElementById(id);
const form = $("query-form");
const input = $("q");
const results = $("results");
const documents = new Map(); // doc_id -> document JSON, fetched once
let documentTitles = new Map();
let latestRequest = 0;
let openedFrom = null; // the button that opened the document view, to return focus to on close

// Small DOM builder: strings become text nodes, so data can never become markup.
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

async function api(path, options = {}) {
  let response;
  try {
    response = await fetch(path, { headers: { "Accept": "application/json" }, ...options });
  } catch {
    throw new Error("Tjänsten svarar inte. Kontrollera anslutningen och försök igen.");
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const detail = body && typeof body.detail === "string" ? body.detail : `Något gick fel (HTTP ${response.status}).`;
    throw new Error(detail);
  }
  return body;
}

// Form state <-> URL: the query string holds question, mode and filters, so a link reproduces the view.

function currentMode() {
  return form.elements.mode.value === "search" ? "search" : "ask";
}

function formState() {
  return {
    q: input.value.trim(),
    mode: currentMode(),
    district: $("district").value,
    doc: $("doc").value,
    year: $("year").value,
  };
}

function stateToUrl(state) {
  const params = new URLSearchParams();
  for (const key of ["q", "mode", "district", "doc", "year"]) {
    if (state[key]) params.set(key, state[key]);
  }
  return `${location.pathname}?${params}`;
}

function selectValue(select, value) {
  const known = Array.from(select.options).some((option) => option.value === value);
  select.value = known ? value : "";
}

function applyState(state) {
  input.value = state.q;
  form.elements.mode.value = state.mode;
  selectValue($("district"), state.district);
  selectValue($("doc"), state.doc);
  selectValue($("year"), state.year);
  updateModeLabels();
}

function stateFromUrl() {
  const params = new URLSearchParams(location.search);
  return {
    q: params.get("q") || "",
    mode: params.get("mode") === "search" ? "search" : "ask",
    district: params.get("district") || "",
    doc: params.get("doc") || "",
    year: params.get("year") || "",
  };
}

function updateModeLabels() {
  const mode = currentMode();
  $("submit").textContent = mode === "search" ? "Sök" : "Fråga";
  $("mode-hint").textContent = MODE_HINTS[mode];
}

// Filters, filled from the API.

function yearsOf(doc) {
  const years = [];
  if (doc.period) {
    for (const match of doc.period.matchAll(/\b(?:19|20)\d\d\b/g)) years.push(Number(match[0]));
  }
  if (doc.year) years.push(doc.year);
  if (!years.length) return [];
  const all = [];
  for (let year = Math.min(...years); year <= Math.max(...years); year += 1) all.push(year);
  return all;
}

async function loadFilters() {
  const [districts, docs] = await Promise.all([api("/api/districts"), api("/api/documents")]);
  const districtSelect = $("district");
  for (const district of districts) {
    districtSelect.append(el("option", { value: district.name }, district.name));
  }
  const docSelect = $("doc");
  const sorted = [...docs].sort((a, b) => a.title.localeCompare(b.title, "sv"));
  for (const doc of sorted) {
    docSelect.append(el("option", { value: doc.doc_id }, doc.title));
  }
  documentTitles = new Map(docs.map((doc) => [doc.doc_id, doc.title]));
  const passages = docs.reduce((sum, doc) => sum + doc.chunks, 0);
  $("corpus-info").textContent = `Sökbart just nu: ${docs.length} dokument med ${passages} textstycken.`;
  const years = [...new Set(docs.flatMap(yearsOf))].sort((a, b) => b - a);
  for (const year of years) {
    $("year").append(el("option", { value: String(year) }, String(year)));
  }
}

async function checkHealth() {
  const banner = $("status");
  try {
    const response = await fetch("/healthz");
    const health = await response.json();
    if (health.status !== "ok") {
      banner.textContent = health.message || "Sökindexet är inte laddat.";
      banner.hidden = false;
      return false;
    }
    return true;
  } catch {
    banner.textContent = "Tjänsten svarar inte just nu.";
    banner.hidden = false;
    return false;
  }
}

// Running a question or a search.

async function run(state) {
  closeDocument({ restoreFocus: false });
  $("examples").hidden = Boolean(state.q);
  if (!state.q) {
    results.replaceChildren();
    return;
  }
  const request = ++latestRequest;
  results.setAttribute("aria-busy", "true");
  results.replaceChildren(
    el("div", { class: "card loading" }, el("span", { class: "spinner", "aria-hidden": "true" }),
      state.mode === "search" ? "Söker i dokumenten …" : "Letar efter svaret i dokumenten …"),
  );
  try {
    const view = state.mode === "search" ? await runSearch(state) : await runAsk(state);
    if (request === latestRequest) results.replaceChildren(view);
  } catch (error) {
    if (request === latestRequest) {
      results.replaceChildren(el("div", { class: "card error", role: "alert" }, error.message));
    }
  } finally {
    if (request === latestRequest) results.setAttribute("aria-busy", "false");
  }
}

async function runAsk(state) {
  const body = {
    question: state.q,
    district: state.district || null,
    doc: state.doc || null,
    year: state.year ? Number(state.year) : null,
  };
  const answer = await api("/api/ask", {
    method: "POST",
    headers: { "Content-Type": "application/json", "Accept": "application/json" },
    body: JSON.stringify(body),
  });
  return renderAnswer(answer);
}

async function runSearch(state) {
  const params = new URLSearchParams({ q: state.q, k: String(SEARCH_RESULTS) });
  if (state.district) params.set("district", state.district);
  if (state.doc) params.set("doc", state.doc);
  if (state.year) params.set("year", state.year);
  const response = await api(`/api/search?${params}`);
  return renderSearch(response);
}

// Rendering.

function citeButton(citation) {
  return el("button", {
    type: "button",
    class: "cite",
    "data-cite": citation.id,
    "aria-label": `Källa ${citation.id}: ${citation.title}`,
    title: `${citation.title} – ${citation.section}`,
    onclick: () => openCitation(citation),
  }, `[${citation.id}]`);
}

// The answer text with each "[n]" turned into a button for citation n.
function withMarkers(text, byId) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(/\[(\d+)\]/g)) {
    const citation = byId.get(Number(match[1]));
    if (!citation) continue;
    if (match.index > last) nodes.push(text.slice(last, match.index));
    nodes.push(citeButton(citation));
    last = match.index + match[0].length;
  }
  if (last < text.length) nodes.push(text.slice(last));
  return nodes;
}

function whereText(item) {
  const parts = [];
  if (item.section) parts.push(item.section);
  if (item.page) parts.push(`sida ${item.page}`);
  return parts.join(" · ");
}

function renderAnswer(answer) {
  const byId = new Map(answer.citations.map((citation) => [citation.id, citation]));
  const card = el("article", { class: "card answer", "aria-labelledby": "answer-title" });
  card.append(
    el("p", { class: "eyebrow" }, "Din fråga"),
    el("h2", { id: "answer-title", class: "question" }, answer.question),
  );

  if (!answer.supported) {
    card.append(el("p", { class: "abstain" }, answer.answer));
    if (answer.related.length) {
      card.append(
        el("h3", {}, "Möjligen relaterat"),
        el("p", { class: "hint" }, "Textstyckena nedan liknar frågan men besvarar den inte säkert."),
        passageList(answer.related),
      );
    }
    return card;
  }

  if (answer.districts.length) {
    const lead = answer.answer.split("\n")[0];
    card.append(el("p", { class: "lead" }, lead));
    const list = el("ul", { class: "district-list" });
    for (const line of answer.districts) {
      const involvement = INVOLVEMENT[line.involvement] || { label: line.involvement, hint: "" };
      list.append(el("li", { class: "district-line" },
        el("span", { class: "district-name" }, line.name),
        el("span", { class: `badge badge-${line.involvement.replace(/\s+/g, "-")}`, title: involvement.hint }, involvement.label),
        el("span", { class: "markers" }, line.citations.filter((id) => byId.has(id)).map((id) => citeButton(byId.get(id)))),
      ));
    }
    card.append(list);
  } else {
    card.append(el("p", { class: "answer-text" }, withMarkers(answer.answer, byId)));
  }

  if (answer.citations.length) {
    const sources = el("ol", { class: "sources" });
    for (const citation of answer.citations) {
      sources.append(el("li", { id: `source-${citation.id}`, class: "source" },
        citeButton(citation),
        el("div", { class: "source-body" },
          el("blockquote", {}, citation.quote),
          el("p", { class: "source-meta" },
            el("span", { class: "source-title" }, citation.title),
            whereText(citation) ? el("span", { class: "source-where" }, whereText(citation)) : null),
        ),
      ));
    }
    card.append(el("h3", {}, "Källor"), sources);
  }
  for (const note of answer.notes) card.append(el("p", { class: "note" }, note));
  card.append(el("p", { class: "provenance" }, answer.generator === "extractive"
    ? "Svaret består av ordagranna citat ur dokumenten."
    : `Svaret är formulerat av en språkmodell (${answer.generator}) och varje påstående hänvisar till en källa.`));
  return card;
}

function passageList(passages) {
  const list = el("ol", { class: "passages" });
  for (const passage of passages) {
    const also = passage.also_in.map((id) => documentTitles.get(id) || id);
    list.append(el("li", { class: "passage" },
      el("p", { class: "source-meta" },
        el("span", { class: "rank" }, `${passage.rank}`),
        el("span", { class: "source-title" }, passage.title)),
      whereText(passage) ? el("p", { class: "source-where" }, whereText(passage)) : null,
      el("p", { class: "passage-text" }, passage.text),
      also.length ? el("p", { class: "also" }, `Finns även i: ${also.join(", ")}`) : null,
      el("button", {
        type: "button",
        class: "link",
        onclick: () => openDocument(passage.doc_id, passage.start, passage.end, passage),
      }, "Visa i dokumentet"),
    ));
  }
  return list;
}

function renderSearch(response) {
  const card = el("article", { class: "card search", "aria-labelledby": "search-title" });
  card.append(
    el("p", { class: "eyebrow" }, "Sökning"),
    el("h2", { id: "search-title", class: "question" }, response.query),
  );
  if (!response.results.length) {
    card.append(el("p", { class: "abstain" }, "Inga textstycken matchar sökningen med de valda filtren."));
    return card;
  }
  card.append(el("p", { class: "hint" }, `${response.results.length} textstycken, bäst först.`), passageList(response.results));
  return card;
}

// The document view: the cleaned text with the cited range in <mark>, scrolled into view.

async function openCitation(citation) {
  document.querySelectorAll(".source.active").forEach((node) => node.classList.remove("active"));
  const source = $(`source-${citation.id}`);
  if (source) source.classList.add("active");
  await openDocument(citation.doc_id, citation.start, citation.end, citation);
}

async function openDocument(docId, start, end, where) {
  const panel = $("document");
  openedFrom = document.activeElement;
  let doc = documents.get(docId);
  if (!doc) {
    try {
      doc = await api(`/api/documents/${encodeURIComponent(docId)}`);
    } catch (error) {
      results.prepend(el("div", { class: "card error", role: "alert" }, error.message));
      return;
    }
    documents.set(docId, doc);
  }
  $("doc-title").textContent = doc.title;
  const meta = [doc.organisation, doc.period || doc.year, doc.doc_type].filter(Boolean).map(String);
  $("doc-meta").textContent = meta.join(" · ");
  const whereList = $("doc-where");
  whereList.replaceChildren();
  if (where.section) whereList.append(el("dt", {}, "Avsnitt"), el("dd", {}, where.section));
  if (where.page) whereList.append(el("dt", {}, "Sida"), el("dd", {}, String(where.page)));

  const mark = el("mark", { id: "highlight" }, doc.text.slice(start, end));
  $("doc-text").replaceChildren(...documentNodes(doc, start, end, mark));
  panel.hidden = false;
  $("layout").classList.add("with-document");
  $("doc-title").focus({ preventScroll: true });
  revealMark(panel, $("doc-text"), mark);
}

// Where each section's heading lies: the line just before the section's body starts.
function headingRanges(doc) {
  const ranges = [];
  for (const section of doc.sections) {
    const heading = section.path[section.path.length - 1];
    if (!heading) continue;
    const at = doc.text.lastIndexOf(heading, section.start);
    if (at >= 0 && section.start - (at + heading.length) <= 4) ranges.push([at, at + heading.length]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  return ranges.filter((range, i) => i === 0 || range[0] >= ranges[i - 1][1]);
}

// The document's text as nodes: headings in <strong>, the cited range in the given <mark>.
function documentNodes(doc, start, end, mark) {
  const nodes = [];
  let position = 0;
  const plain = (upTo) => {
    if (upTo > position) nodes.push(document.createTextNode(doc.text.slice(position, upTo)));
    position = Math.max(position, upTo);
  };
  const headings = headingRanges(doc).filter(([from, to]) => to <= start || from >= end);
  let markPlaced = false;
  for (const [from, to] of headings) {
    if (!markPlaced && from >= end) {
      plain(start);
      nodes.push(mark);
      position = end;
      markPlaced = true;
    }
    plain(from);
    nodes.push(el("strong", { class: "doc-heading" }, doc.text.slice(from, to)));
    position = to;
  }
  if (!markPlaced) {
    plain(start);
    nodes.push(mark);
    position = end;
  }
  plain(doc.text.length);
  return nodes;
}

// Centre the highlight inside the text box, and scroll the page only if the panel is out of sight
// (on narrow screens it sits below the answer).
function revealMark(panel, box, mark) {
  const boxTop = box.getBoundingClientRect().top;
  const markRect = mark.getBoundingClientRect();
  box.scrollTop += markRect.top - boxTop - Math.max(0, (box.clientHeight - markRect.height) / 2);
  const panelRect = panel.getBoundingClientRect();
  if (panelRect.top < 0 || panelRect.top > window.innerHeight * 0.5) {
    panel.scrollIntoView({ block: "start", behavior: "auto" });
  }
}

function closeDocument({ restoreFocus = true } = {}) {
  if ($("document").hidden) return;
  $("document").hidden = true;
  $("layout").classList.remove("with-document");
  document.querySelectorAll(".source.active").forEach((node) => node.classList.remove("active"));
  if (restoreFocus && openedFrom && openedFrom.isConnected) openedFrom.focus();
  openedFrom = null;
}

// Wiring.

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const state = formState();
  if (!state.q) {
    input.focus();
    return;
  }
  history.pushState(state, "", stateToUrl(state));
  run(state);
});

for (const radio of form.elements.mode) radio.addEventListener("change", updateModeLabels);
$("doc-close").addEventListener("click", () => closeDocument());
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") closeDocument();
});
window.addEventListener("popstate", () => {
  const state = stateFromUrl();
  applyState(state);
  run(state);
});

async function start() {
  // A linked view (?q=...) is shown as soon as the filters exist; without one, the form is left to the user.
  const state = stateFromUrl();
  if (state.q) {
    input.value = state.q;
    form.elements.mode.value = state.mode;
  }
  updateModeLabels();
  if (await checkHealth()) {
    try {
      await loadFilters();
    } catch (error) {
      $("status").textContent = error.message;
      $("status").hidden = false;
    }
  }
  if (state.q) {
    applyState(state);
    run(state);
  }
}

start();
