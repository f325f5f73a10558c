// The overview ("Översikt"): one topic across every district and city-wide organisation, as a table.
// Each quote opens the document with the quote highlighted.

import { decimal, el } from "./dom.js";
import { INVOLVEMENT, involvementBadge } from "./involvement.js";

const NO_EVIDENCE = "Inga belägg hittades";

// The row's name with its status under it: evidence and how involved, or none and the best score seen.
function nameCell(row) {
  const status = row.status === "evidence"
    ? [el("span", { class: "status status-evidence" }, "Belägg finns"), row.involvement ? involvementBadge(row.involvement) : null]
    : [el("span", { class: "status status-none" }, NO_EVIDENCE),
      el("span", { class: "best-score", title: "Den bästa meningens andel av ämnets ord; tröskeln för belägg står ovanför tabellen." },
        `bästa poäng ${decimal(row.best_score)}`)];
  return el("th", { scope: "row", class: "coverage-name" },
    el("span", { class: "row-name" }, row.name),
    row.kind === "organisation" ? el("span", { class: "kind" }, "organisation") : null,
    el("span", { class: "coverage-status" }, status));
}

function evidenceCell(row, openEvidence) {
  if (!row.evidence.length) return el("td", { class: "coverage-evidence empty" }, "–");
  const list = el("ul", { class: "evidence-list" });
  for (const item of row.evidence) {
    const label = INVOLVEMENT[item.involvement] ? INVOLVEMENT[item.involvement].label : item.involvement;
    list.append(el("li", {},
      el("button", {
        type: "button",
        class: "evidence",
        "data-cite": item.id,
        "aria-label": `Källa ${item.id} för ${row.name}: ${item.title}. Visa citatet i dokumentet.`,
        title: `${item.title} – ${item.section}`,
        onclick: () => openEvidence(item),
      },
      el("span", { class: "evidence-id" }, `[${item.id}]`),
      el("span", { class: "evidence-quote" }, item.quote),
      el("span", { class: "evidence-source" }, `${item.title} · ${label}`)),
    ));
  }
  return el("td", { class: "coverage-evidence" }, list);
}

/** The overview card of a /api/coverage response; `openEvidence(item)` opens a quote, `downloads` is
 * the row of download links. */
export function renderCoverage(response, openEvidence, downloads) {
  const districts = response.rows.filter((row) => row.kind === "district");
  const covered = districts.filter((row) => row.status === "evidence").length;
  const card = el("article", { class: "card coverage", "aria-labelledby": "coverage-title" });
  const years = response.year_from || response.year_to
    ? ` i dokument från ${response.year_from === response.year_to ? response.year_from : `${response.year_from ?? "…"}–${response.year_to ?? "…"}`}`
    : "";
  card.append(
    el("p", { class: "eyebrow" }, "Översikt per stadsdel"),
    el("h2", { id: "coverage-title", class: "question" }, response.query),
    el("p", { class: "lead" }, `${covered} av ${districts.length} stadsdelar har belägg i dokumenten${years}.`),
    el("p", { class: "hint" },
      `En stadsdel har belägg när en mening om den innehåller ämnets mest specifika ord eller minst ${Math.round(response.threshold * 100)} % av ämnets ord. `
      + "Klicka på ett citat för att se det i dokumentet."),
  );
  const table = el("table", { class: "coverage-table" },
    el("caption", { class: "visually-hidden" }, `Belägg för ”${response.query}” per stadsdel och organisation`),
    el("thead", {}, el("tr", {},
      el("th", { scope: "col" }, "Stadsdel och status"),
      el("th", { scope: "col" }, "Belägg i dokumenten"))));
  const body = el("tbody");
  for (const row of response.rows) {
    body.append(el("tr", { class: `coverage-row ${row.status === "evidence" ? "has-evidence" : "no-evidence"}`, "data-name": row.name },
      nameCell(row),
      evidenceCell(row, openEvidence)));
  }
  table.append(body);
  card.append(el("div", { class: "table-scroll" }, table), downloads);
  return card;
}
