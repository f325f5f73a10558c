// Search results ("Sök"): each passage with the words that match the query marked, its district, document
// and year; counts per district and year that filter on click; pages of ten; "Inga träffar" when nothing
// in the documents is near the query (the API's relevance floor).

import { el } from "./dom.js";
import { openDocument, whereText } from "./document.js";

/** The passage text with the ranges `highlights` ([start, end] offsets) in <mark class="hit-word">. */
export function markedText(text, highlights = []) {
  const nodes = [];
  let last = 0;
  for (const [start, end] of highlights) {
    if (start < last || end <= start || end > text.length) continue;
    if (start > last) nodes.push(text.slice(last, start));
    nodes.push(el("mark", { class: "hit-word" }, text.slice(start, end)));
    last = end;
  }
  if (last < text.length) nodes.push(text.slice(last));
  return nodes;
}

/** "2017–2022" or "2022": the years a hit's document covers, as the API gives them. */
export function yearText(item) {
  return item.period && /\d{4}/.test(item.period) ? item.period : (item.year ? String(item.year) : "");
}

function hitMeta(passage) {
  return el("p", { class: "hit-meta" },
    passage.districts.length ? el("span", { class: "hit-districts" }, passage.districts.join(", ")) : null,
    yearText(passage) ? el("span", { class: "hit-year" }, yearText(passage)) : null,
    passage.organisation ? el("span", { class: "hit-organisation" }, passage.organisation) : null);
}

/** A list of passages (search hits, or an abstaining answer's related passages); `titles` maps document
 * ids to titles for "Finns även i". */
export function passageList(passages, titles) {
  const list = el("ol", { class: "passages" });
  for (const passage of passages) {
    const also = passage.also_in.map((id) => titles.get(id) || id);
    list.append(el("li", { class: "passage" },
      el("p", { class: "source-meta" },
        el("span", { class: "rank" }, `${passage.rank}`),
        el("span", { class: "source-title" }, passage.title)),
      passage.highlights ? hitMeta(passage) : null,
      whereText(passage) ? el("p", { class: "source-where" }, whereText(passage)) : null,
      el("p", { class: "passage-text" }, markedText(passage.text, passage.highlights)),
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

function facetGroup(title, items, active, label, choose) {
  if (!items.length) return null;
  return el("div", { class: "facet-group", role: "group", "aria-label": title },
    el("p", { class: "facet-title" }, title),
    el("div", { class: "facet-items" }, items.map((item) => {
      const value = String(item.value);
      const pressed = value === String(active);
      return el("button", {
        type: "button",
        class: "facet",
        "aria-pressed": pressed ? "true" : "false",
        "data-facet": value,
        title: pressed ? "Klicka för att ta bort filtret" : `Visa bara träffar ${label(value)}`,
        onclick: () => choose(pressed ? "" : value),
      }, el("span", { class: "facet-name" }, value), el("span", { class: "facet-count" }, String(item.count)));
    })));
}

function pager(response, pageSize, goTo) {
  const first = response.offset + 1;
  const last = response.offset + response.results.length;
  const previous = Math.max(0, response.offset - pageSize);
  const next = response.offset + pageSize;
  return el("nav", { class: "pager", "aria-label": "Sidor med träffar" },
    el("button", { type: "button", class: "secondary", disabled: response.offset === 0, onclick: () => goTo(previous) }, "Föregående"),
    el("span", { class: "pager-status" }, `Träff ${first}–${last} av ${response.total}`),
    el("button", { type: "button", class: "secondary", disabled: next >= response.total, onclick: () => goTo(next) }, "Nästa"));
}

/** The search card of a /api/search response. `state` is the page's state; `navigate(changes)` runs the
 * search again with a filter or page changed; `titles` maps document ids to titles. */
export function renderSearch(response, state, { downloads, navigate, titles, pageSize }) {
  const card = el("article", { class: "card search", "aria-labelledby": "search-title" });
  card.append(
    el("p", { class: "eyebrow" }, "Sökning"),
    el("h2", { id: "search-title", class: "question" }, response.query),
  );
  if (!response.total) {
    const filtered = state.district || state.doc || state.year;
    card.append(el("p", { class: "abstain" }, filtered
      ? "Inga träffar med de valda filtren. Ta bort ett filter eller sök med andra ord."
      : "Inga träffar: inget i dokumenten ligger nära sökningen. Pröva andra ord, eller ställ en fråga."));
    return card;
  }
  const facets = el("div", { class: "facets" },
    facetGroup("Stadsdel", response.facets.districts.map((f) => ({ value: f.name, count: f.count })), state.district,
      (value) => `om ${value}`, (value) => navigate({ district: value, offset: 0 })),
    facetGroup("År", response.facets.years.map((f) => ({ value: f.year, count: f.count })), state.year,
      (value) => `ur dokument som gäller ${value}`, (value) => navigate({ year: value, offset: 0 })));
  card.append(
    el("p", { class: "hint" }, `${response.total} textstycken, bäst först. De markerade orden matchar sökningen; `
      + "siffrorna vid stadsdel och år räknar träffarna, klicka för att filtrera."),
    facets,
    passageList(response.results, titles),
    response.total > pageSize ? pager(response, pageSize, (offset) => navigate({ offset })) : null,
    downloads,
  );
  return card;
}
