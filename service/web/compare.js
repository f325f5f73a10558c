// The compare view ("Jämför"): two versions of a report side by side, section by section. Added sentences
// are marked in the later version, removed ones in the earlier; unchanged sections and long unchanged
// stretches are folded. Each change opens the document view at its place.

import { el } from "./dom.js";
import { openDocument } from "./document.js";

// Unchanged text inside a changed section longer than this is folded.
const FOLD_CHARS = 240;
const STATUS_LABELS = { added: "Nytt avsnitt", removed: "Borttaget avsnitt", changed: "Ändrat" };

function plural(count, one, many) {
  return `${count} ${count === 1 ? one : many}`;
}

// A title with the years the document covers, unless the title already says them.
function titleWithYears(doc) {
  const years = String(doc.period || doc.year || "");
  return years && !doc.title.includes(years) ? `${doc.title} (${years})` : doc.title;
}

function unchangedText(text) {
  if (text.trim().length <= FOLD_CHARS) return [text];
  return [el("details", { class: "same-text" },
    el("summary", {}, `Oförändrad text (${plural(text.trim().split(/\s+/).length, "ord", "ord")})`),
    el("span", {}, text))];
}

// A section's body with the changed sentences as buttons that open them in the document.
function sectionBody(doc, span, changes, kind) {
  if (!span) {
    return el("p", { class: "compare-missing" },
      kind === "added" ? "Avsnittet finns inte i den senare versionen." : "Avsnittet finns inte i den tidigare versionen.");
  }
  const [from, to] = span;
  const nodes = [];
  let position = from;
  for (const change of [...changes].sort((a, b) => a.start - b.start)) {
    if (change.start < position || change.end > to) continue;
    if (change.start > position) nodes.push(...unchangedText(doc.text.slice(position, change.start)));
    nodes.push(el("button", {
      type: "button",
      class: `change change-${kind}`,
      "data-start": change.start,
      title: kind === "added" ? "Tillagt i den senare versionen: visa i dokumentet" : "Borttaget ur den tidigare versionen: visa i dokumentet",
      onclick: () => openDocument(doc.doc_id, change.start, change.end, { section: change.section, page: change.page }),
    }, el("span", { class: "visually-hidden" }, kind === "added" ? "Tillagt: " : "Borttaget: "), doc.text.slice(change.start, change.end)));
    position = change.end;
  }
  if (to > position) nodes.push(...unchangedText(doc.text.slice(position, to)));
  return el("div", { class: "compare-text" }, nodes);
}

function side(label, title, body) {
  return el("div", { class: "compare-side" },
    el("p", { class: "compare-side-label" }, label, title ? el("span", { class: "compare-side-title" }, title) : null),
    body);
}

function foldedSections(sections) {
  return el("details", { class: "compare-unchanged" },
    el("summary", {}, plural(sections.length, "oförändrat avsnitt", "oförändrade avsnitt")),
    el("ul", {}, sections.map((section) => el("li", {}, section.section_b || section.section_a))));
}

/** The compare card of a /api/documents/{a}/compare?with={b} response, with both documents' JSON. */
export function renderComparison(comparison, earlier, later) {
  const changed = comparison.sections.filter((s) => s.status !== "unchanged");
  const added = changed.reduce((sum, s) => sum + s.added.length, 0);
  const removed = changed.reduce((sum, s) => sum + s.removed.length, 0);
  const card = el("article", { class: "card compare", "aria-labelledby": "compare-title" });
  card.append(
    el("p", { class: "eyebrow" }, "Jämförelse av versioner"),
    el("h2", { id: "compare-title", class: "question" }, later.title),
    el("p", { class: "compare-versions" },
      el("span", {}, el("strong", {}, "Tidigare: "), titleWithYears(earlier)),
      el("span", {}, el("strong", {}, "Senare: "), titleWithYears(later))),
    el("p", { class: "lead" }, `${plural(added, "ny mening", "nya meningar")} och ${plural(removed, "borttagen", "borttagna")} `
      + `i ${plural(changed.length, "avsnitt", "avsnitt")}; ${plural(comparison.sections.length - changed.length, "avsnitt", "avsnitt")} oförändrade.`),
    el("p", { class: "compare-legend" },
      el("span", { class: "change change-added legend" }, "Tillagt"),
      el("span", { class: "change change-removed legend" }, "Borttaget"),
      el("span", { class: "hint-inline" }, "Klicka på en ändring för att se den i dokumentet.")),
  );
  const list = el("div", { class: "compare-sections" });
  let folded = [];
  const flush = () => {
    if (folded.length) list.append(foldedSections(folded));
    folded = [];
  };
  for (const section of comparison.sections) {
    if (section.status === "unchanged") {
      folded.push(section);
      continue;
    }
    flush();
    list.append(el("section", { class: `compare-section status-${section.status}`, "data-status": section.status },
      el("h3", { class: "compare-heading" },
        el("span", { class: "compare-heading-text" }, section.section_b || section.section_a),
        el("span", { class: `compare-status compare-status-${section.status}` }, STATUS_LABELS[section.status])),
      el("div", { class: "compare-sides" },
        side("Tidigare version", section.section_a && section.section_a !== section.section_b ? section.section_a : "",
          sectionBody(earlier, section.span_a, section.removed, "removed")),
        side("Senare version", "", sectionBody(later, section.span_b, section.added, "added")))));
  }
  flush();
  card.append(list);
  return card;
}
