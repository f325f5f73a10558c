// Stadshus web page: one question box with four modes (an answer with clickable citations, the
// matching passages, an overview of every district, two versions of a report compared), downloads, and
// the cited document's text. Every piece of text from the API is inserted as a text node (see dom.js),
// never as HTML.

import { $, api, downloadButtons, downloadFile, downloadLinks, el, errorCard } from "./dom.js";
import { closeDocument, initDocumentView, loadDocument, openDocument, originalLink, whereText } from "./document.js";
import { renderComparison } from "./compare.js";
import { renderCoverage } from "./coverage.js";
import { involvementBadge } from "./involvement.js";
import { citationControls, currentReviewer, initReviewer, reviewForm } from "./review.js";
import { passageList, renderSearch, yearText } from "./search.js";

const SEARCH_RESULTS = 10;
const MODES = ["ask", "search", "coverage", "compare"];
const MODE_LABELS = { ask: "Fråga", search: "Sök", coverage: "Översikt", compare: "Jämför" };
const MODE_HINTS = {
  ask: "Du får ett svar där varje påstående citerar dokumenten ordagrant.",
  search: "Du får de textstycken i dokumenten som passar bäst, bäst först, med sökorden markerade.",
  coverage: "Du får en tabell över alla stadsdelar: vilka som arbetar med ämnet enligt dokumenten, med citat, och vilka som inte gör det. Stadsdels- och dokumentfiltret gäller inte här.",
  compare: "Välj en rapport och två av dess versioner: avsnitten visas sida vid sida med tillagda och borttagna meningar markerade.",
};
const LOADING = {
  ask: "Letar efter svaret i dokumenten …",
  search: "Söker i dokumenten …",
  coverage: "Går igenom alla stadsdelar …",
  compare: "Jämför versionerna …",
};

const form = $("query-form");
const input = $("q");
const results = $("results");
let documentTitles = new Map();
let documentInfo = new Map(); // doc_id -> the /api/documents entry (title, organisation, years, versions)
let latestRequest = 0;
let shownAnswer = null; // {answer, request} of the answer on screen, to draw it again when a reviewer starts

// Form state <-> URL: the query string holds question, mode and filters, so a link reproduces the view.

function currentMode() {
  return MODES.includes(form.elements.mode.value) ? form.elements.mode.value : "ask";
}

function formState() {
  return {
    q: input.value.trim(),
    mode: currentMode(),
    district: $("district").value,
    doc: $("doc").value,
    year: $("year").value,
    a: $("compare-a").value,
    b: $("compare-b").value,
    offset: 0,
  };
}

// The keys a mode's link keeps: the overview covers every district and document (only the year narrows
// it), a comparison is its two documents.
const URL_KEYS = {
  ask: ["q", "mode", "district", "doc", "year"],
  search: ["q", "mode", "district", "doc", "year", "offset"],
  coverage: ["q", "mode", "year"],
  compare: ["mode", "a", "b"],
};

function stateToUrl(state) {
  const params = new URLSearchParams();
  for (const key of URL_KEYS[state.mode]) {
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
  if (state.mode === "compare") chooseVersions(state.a, state.b);
  updateModeLabels();
}

function stateFromUrl() {
  const params = new URLSearchParams(location.search);
  const mode = params.get("mode");
  const offset = Number(params.get("offset"));
  return {
    q: params.get("q") || "",
    mode: MODES.includes(mode) ? mode : "ask",
    district: params.get("district") || "",
    doc: params.get("doc") || "",
    year: params.get("year") || "",
    a: params.get("a") || "",
    b: params.get("b") || "",
    offset: Number.isInteger(offset) && offset > 0 ? offset : 0,
  };
}

// A view to show: a question or search, or a comparison of two documents.
function hasView(state) {
  return state.mode === "compare" ? Boolean(state.a && state.b) : Boolean(state.q);
}

// A link to a quote, as the exports write them: /?doc=<id>&start=<n>&end=<n>.
function quoteFromUrl() {
  const params = new URLSearchParams(location.search);
  const start = Number(params.get("start"));
  const end = Number(params.get("end"));
  if (!params.get("doc") || !params.has("start") || !params.has("end") || !Number.isInteger(start) || !Number.isInteger(end)) {
    return null;
  }
  return { doc: params.get("doc"), start, end };
}

function updateModeLabels() {
  const mode = currentMode();
  $("submit").textContent = MODE_LABELS[mode];
  $("mode-hint").textContent = MODE_HINTS[mode];
  for (const id of ["district", "doc"]) $(id).disabled = mode === "coverage";
  $("query-row").hidden = mode === "compare";
  $("filters").hidden = mode === "compare";
  $("compare-row").hidden = mode !== "compare";
}

// Versions to compare: the reports with more than one version, each with its versions earliest first.

function families() {
  const seen = new Map();
  for (const doc of documentInfo.values()) {
    if (doc.versions.length > 1 && !seen.has(doc.family)) seen.set(doc.family, doc.versions);
  }
  return seen;
}

function versionLabel(docId) {
  const doc = documentInfo.get(docId);
  return doc ? `${doc.title}${yearText(doc) ? ` (${yearText(doc)})` : ""}` : docId;
}

function fillVersions(family) {
  const versions = families().get(family) || [];
  for (const id of ["compare-a", "compare-b"]) {
    $(id).replaceChildren(...versions.map((docId) => el("option", { value: docId }, versionLabel(docId))));
  }
  if (versions.length) {
    $("compare-a").value = versions[versions.length - 2];
    $("compare-b").value = versions[versions.length - 1];
  }
}

// Select the family of `a` and the two versions given (or the family's last two).
function chooseVersions(a, b) {
  const doc = documentInfo.get(a) || documentInfo.get(b);
  if (!doc || !families().has(doc.family)) return;
  $("compare-family").value = doc.family;
  fillVersions(doc.family);
  selectValue($("compare-a"), a);
  selectValue($("compare-b"), b);
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
  documentInfo = new Map(docs.map((doc) => [doc.doc_id, doc]));
  for (const [family, versions] of families()) {
    const doc = documentInfo.get(versions[versions.length - 1]);
    $("compare-family").append(el("option", { value: family }, `${doc.organisation ? `${doc.organisation}: ` : ""}${doc.title.replace(/\s*\(.*\)$/, "")}`));
  }
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

// Running a question, a search or an overview.

async function run(state) {
  closeDocument({ restoreFocus: false });
  shownAnswer = null;
  $("examples").hidden = hasView(state);
  if (!hasView(state)) {
    results.replaceChildren();
    return;
  }
  const request = ++latestRequest;
  results.setAttribute("aria-busy", "true");
  results.replaceChildren(
    el("div", { class: "card loading" }, el("span", { class: "spinner", "aria-hidden": "true" }), LOADING[state.mode]),
  );
  try {
    const runner = { ask: runAsk, search: runSearch, coverage: runCoverage, compare: runCompare }[state.mode];
    const view = await runner(state);
    if (request === latestRequest) results.replaceChildren(view);
  } catch (error) {
    if (request === latestRequest) results.replaceChildren(errorCard(error.message));
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
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  shownAnswer = { answer, request: body };
  return renderAnswer(answer, body);
}

function searchParams(state) {
  const params = new URLSearchParams({ q: state.q, k: String(SEARCH_RESULTS) });
  if (state.district) params.set("district", state.district);
  if (state.doc) params.set("doc", state.doc);
  if (state.year) params.set("year", state.year);
  if (state.offset) params.set("offset", String(state.offset));
  return params;
}

// Search again with a filter or the page changed (a facet or the pager was clicked).
function navigate(state, changes) {
  const next = { ...state, ...changes };
  applyState(next);
  history.pushState(next, "", stateToUrl(next));
  run(next);
}

async function runSearch(state) {
  const params = searchParams(state);
  const response = await api(`/api/search?${params}`);
  const downloads = downloadLinks("Ladda ner träfflistan:", (format) => `/api/search/export?${params}&format=${format}`);
  return renderSearch(response, state, {
    downloads,
    navigate: (changes) => navigate(state, changes),
    titles: documentTitles,
    pageSize: SEARCH_RESULTS,
  });
}

async function runCompare(state) {
  const [comparison, earlier, later] = await Promise.all([
    api(`/api/documents/${encodeURIComponent(state.a)}/compare?${new URLSearchParams({ with: state.b })}`),
    loadDocument(state.a),
    loadDocument(state.b),
  ]);
  return renderComparison(comparison, earlier, later);
}

async function runCoverage(state) {
  const params = new URLSearchParams({ q: state.q });
  if (state.year) {
    params.set("year_from", state.year);
    params.set("year_to", state.year);
  }
  const response = await api(`/api/coverage?${params}`);
  const downloads = downloadLinks("Ladda ner tabellen:", (format) => `/api/coverage/export?${params}&format=${format}`);
  return renderCoverage(response, (item) => openDocument(item.doc_id, item.start, item.end, item), downloads);
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

function answerDownloads(request) {
  return downloadButtons("Ladda ner svaret:", (format) => downloadFile(`/api/ask/export?format=${format}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(request),
  }, `stadshus-svar.${format}`).catch((error) => {
    results.prepend(errorCard(error.message));
  }));
}

function renderAnswer(answer, request) {
  const reviewing = Boolean(currentReviewer());
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
        passageList(answer.related, documentTitles),
      );
    }
    if (reviewing) card.append(reviewForm(answer));
    return card;
  }

  if (answer.districts.length) {
    const lead = answer.answer.split("\n")[0];
    card.append(el("p", { class: "lead" }, lead));
    const list = el("ul", { class: "district-list" });
    for (const line of answer.districts) {
      list.append(el("li", { class: "district-line" },
        el("span", { class: "district-name" }, line.name),
        involvementBadge(line.involvement),
        el("span", { class: "markers" }, line.citations.filter((id) => byId.has(id)).map((id) => citeButton(byId.get(id)))),
      ));
    }
    card.append(list);
  } else {
    card.append(el("p", { class: "answer-text" }, withMarkers(answer.answer, byId)));
  }
  if (answer.comparison) {
    const params = new URLSearchParams({ mode: "compare", a: answer.comparison.earlier, b: answer.comparison.later });
    card.append(el("p", { class: "compare-link" },
      el("a", { href: `?${params}`, class: "primary-link" }, "Öppna jämförelsen sida vid sida")));
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
            sourceYear(citation.doc_id) ? el("span", { class: "source-year" }, sourceYear(citation.doc_id)) : null,
            whereText(citation) ? el("span", { class: "source-where" }, whereText(citation)) : null,
            originalLink(citation, documentInfo.get(citation.doc_id))),
          reviewing ? citationControls(citation) : null,
        ),
      ));
    }
    if (answer.comparison) {
      // A comparison's every new sentence is a source: folded, the comparison shows them in place.
      card.append(el("details", { class: "folded-sources" },
        el("summary", {}, `Källor: de ${answer.citations.length} nya meningarna`), sources));
    } else {
      card.append(el("h3", {}, "Källor"), sources);
    }
  }
  for (const note of answer.notes) card.append(el("p", { class: "note" }, note));
  card.append(el("p", { class: "provenance" }, answer.generator === "extractive"
    ? "Svaret består av ordagranna citat ur dokumenten."
    : `Svaret är formulerat av en språkmodell (${answer.generator}) och varje påstående hänvisar till en källa.`));
  card.append(answerDownloads(request));
  if (reviewing) card.append(reviewForm(answer));
  return card;
}

function sourceYear(docId) {
  const doc = documentInfo.get(docId);
  return doc ? yearText(doc) : "";
}

async function openCitation(citation) {
  document.querySelectorAll(".source.active").forEach((node) => node.classList.remove("active"));
  const source = $(`source-${citation.id}`);
  if (source) source.classList.add("active");
  await openDocument(citation.doc_id, citation.start, citation.end, citation);
}

// A reviewer started or stopped: the answer on screen gets (or loses) its review controls.
function reviewerChanged() {
  if (shownAnswer && results.querySelector(".answer")) {
    results.replaceChildren(renderAnswer(shownAnswer.answer, shownAnswer.request));
  }
}

// Wiring.

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const state = formState();
  if (!hasView(state)) {
    (state.mode === "compare" ? $("compare-family") : input).focus();
    return;
  }
  history.pushState(state, "", stateToUrl(state));
  run(state);
});

for (const radio of form.elements.mode) radio.addEventListener("change", updateModeLabels);
$("compare-family").addEventListener("change", () => fillVersions($("compare-family").value));
window.addEventListener("popstate", () => {
  const state = stateFromUrl();
  applyState(state);
  run(state);
});

async function start() {
  initDocumentView();
  initReviewer(reviewerChanged);
  // A linked view (?q=...) is shown as soon as the filters exist; without one, the form is left to the user.
  const state = stateFromUrl();
  if (hasView(state)) {
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
  if (hasView(state)) {
    applyState(state);
    run(state);
    return;
  }
  const quote = quoteFromUrl();
  if (quote) {
    $("examples").hidden = true;
    openDocument(quote.doc, quote.start, quote.end);
  }
}

start();
