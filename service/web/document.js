// The document view: a document's cleaned text with one range in <mark>, scrolled into view, and
// "Fler liknande": passages like the shown one in other districts' documents.

import { $, api, el, errorCard } from "./dom.js";

const SIMILAR_RESULTS = 5;
const documents = new Map(); // doc_id -> document JSON, fetched once
let openedFrom = null; // the control that opened the view, to return focus to on close
let shownChunk = null; // chunk id of the passage shown, for "Fler liknande"

/** Where a passage lies, as text: "Avsnitt > Underavsnitt · sida 3". */
export function whereText(item) {
  const parts = [];
  if (item.section) parts.push(item.section);
  if (item.page) parts.push(`sida ${item.page}`);
  return parts.join(" · ");
}

/** A link to the original file of a citation or search hit (`doc` is its /api/documents entry, for
 * the file type): a PDF opens at the cited page. */
export function originalLink(item, doc) {
  if (!doc) return null;
  const page = item.page && /\.pdf$/i.test(doc.source) ? `#page=${item.page}` : "";
  return el("a", {
    class: "original-link",
    href: `/api/documents/${encodeURIComponent(doc.doc_id)}/original${page}`,
    target: "_blank",
    rel: "noopener",
    title: "Öppna originalfilen i en ny flik",
  }, page ? `Originalfil, sida ${item.page}` : "Originalfil");
}

/** A document's JSON (/api/documents/{id}), fetched once. */
export async function loadDocument(docId) {
  let doc = documents.get(docId);
  if (!doc) {
    doc = await api(`/api/documents/${encodeURIComponent(docId)}`);
    documents.set(docId, doc);
  }
  return doc;
}

// A link to a quote (/?doc=&start=&end=) carries no section: it is read off the document.
function whereInDocument(doc, start) {
  const inside = doc.sections.filter((s) => s.start <= start && start < s.end);
  const section = inside.sort((a, b) => b.path.length - a.path.length)[0];
  const page = doc.pages.find((p) => p.start <= start && start < p.end);
  return { section: section ? section.path.join(" > ") : "", page: page ? page.number : null };
}

/** Open `docId` with the range start..end highlighted. `where` (a citation, search result or evidence)
 * gives the section, page and chunk id; without them they are read off the document. */
export async function openDocument(docId, start, end, where = {}) {
  const panel = $("document");
  // A passage opened from inside the view (a similar passage) keeps the control that first opened it.
  if (!panel.contains(document.activeElement)) openedFrom = document.activeElement;
  let doc;
  try {
    doc = await loadDocument(docId);
  } catch (error) {
    $("results").prepend(errorCard(error.message));
    return;
  }
  if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start < end && end <= doc.text.length)) {
    $("results").prepend(errorCard("Textavsnittet finns inte i dokumentet."));
    return;
  }
  const place = where.section ? where : { ...whereInDocument(doc, start), ...where };
  $("doc-title").textContent = doc.title;
  const meta = [doc.doc_type];
  if (doc.versions && doc.versions.length > 1) meta.push(`version ${doc.versions.indexOf(doc.doc_id) + 1} av ${doc.versions.length}`);
  $("doc-meta").replaceChildren(meta.join(" · "), " · ", originalLink({ page: place.page }, doc));
  const whereList = $("doc-where");
  whereList.replaceChildren();
  if (doc.organisation) whereList.append(el("dt", {}, "Organisation"), el("dd", {}, doc.organisation));
  if (doc.period || doc.year) whereList.append(el("dt", {}, "År"), el("dd", {}, String(doc.period || doc.year)));
  if (place.section) whereList.append(el("dt", {}, "Avsnitt"), el("dd", {}, place.section));
  if (place.page) whereList.append(el("dt", {}, "Sida"), el("dd", {}, String(place.page)));

  shownChunk = where.chunk_id || null;
  $("doc-actions").hidden = !shownChunk;
  hideSimilar();

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

/** Close the view; focus returns to the control that opened it. */
export function closeDocument({ restoreFocus = true } = {}) {
  if ($("document").hidden) return;
  $("document").hidden = true;
  $("layout").classList.remove("with-document");
  document.querySelectorAll(".source.active").forEach((node) => node.classList.remove("active"));
  if (restoreFocus && openedFrom && openedFrom.isConnected) openedFrom.focus();
  openedFrom = null;
}

// More like this.

function hideSimilar() {
  $("similar").hidden = true;
  $("similar-body").replaceChildren();
  $("doc-similar").setAttribute("aria-expanded", "false");
}

async function showSimilar() {
  if (!shownChunk) return;
  if (!$("similar").hidden) {
    hideSimilar();
    return;
  }
  const body = $("similar-body");
  $("similar").hidden = false;
  $("doc-similar").setAttribute("aria-expanded", "true");
  body.replaceChildren(el("p", { class: "hint" }, "Letar efter liknande textstycken …"));
  try {
    const params = new URLSearchParams({ k: String(SIMILAR_RESULTS) });
    // Chunk ids hold "#", which encodeURIComponent writes as %23 (otherwise it would start the fragment).
    const response = await api(`/api/passages/${encodeURIComponent(shownChunk)}/similar?${params}`);
    body.replaceChildren(similarList(response.results));
  } catch (error) {
    body.replaceChildren(el("p", { class: "error-text", role: "alert" }, error.message));
  }
}

function similarList(results) {
  if (!results.length) return el("p", { class: "hint" }, "Inga liknande textstycken på andra håll i staden.");
  const list = el("ol", { class: "similar-list" });
  for (const result of results) {
    list.append(el("li", { class: "similar-item" },
      el("p", { class: "source-meta" },
        el("span", { class: "source-title" }, result.title),
        result.districts.length ? el("span", { class: "similar-districts" }, result.districts.join(", ")) : null),
      el("p", { class: "source-where" }, whereText(result)),
      el("p", { class: "similar-text" }, result.text),
      el("button", {
        type: "button",
        class: "link",
        onclick: () => openDocument(result.doc_id, result.start, result.end, result),
      }, "Visa i dokumentet"),
    ));
  }
  return list;
}

/** Wire the view's own controls: close, Escape, "Fler liknande". */
export function initDocumentView() {
  $("doc-close").addEventListener("click", () => closeDocument());
  $("doc-similar").addEventListener("click", showSimilar);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") closeDocument();
  });
}
