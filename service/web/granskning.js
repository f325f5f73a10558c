// The review page (/granskning): the summary of every judgment (share correct overall, per question type
// and per index version, Cohen's kappa per pair of reviewers), a chart of share correct per index version
// drawn as inline SVG, and the judgments in a table with filters held in the address.

import { $, api, decimal, el, errorCard, percent, svg } from "./dom.js";
import { CITATION_VERDICTS, VERDICTS } from "./review.js";

const PAGE_SIZE = 50;
const FILTERS = ["reviewer", "verdict", "question_type", "build_id"];
const VERDICT_LABELS = Object.fromEntries(VERDICTS);
const CITATION_LABELS = Object.fromEntries(CITATION_VERDICTS);
const TYPE_LABELS = { fact: "Faktafråga", list: "Listfråga" };
const form = $("review-filters");
let shown = 0; // judgments listed so far
let active = {}; // the filters of the list shown, which "Visa fler" continues

// Index build ids begin with their time: 20261124T021405-3a92b167 -> "24 nov 2026 02:14".
function buildLabel(build) {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})/.exec(build);
  if (!match) return build;
  const [, year, month, day, hour, minute] = match;
  const date = new Date(Date.UTC(+year, +month - 1, +day, +hour, +minute));
  return date.toLocaleString("sv-SE", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });
}

function when(iso) {
  return new Date(iso).toLocaleString("sv-SE", { dateStyle: "short", timeStyle: "short" });
}

// Summary.

function figure(value, label, detail) {
  return el("div", { class: "figure" },
    el("p", { class: "figure-value" }, value),
    el("p", { class: "figure-label" }, label),
    detail ? el("p", { class: "figure-detail" }, detail) : null);
}

function countsTable(caption, firstColumn, groups, label) {
  const entries = Object.entries(groups);
  if (!entries.length) return el("p", { class: "hint" }, `${caption}: inga bedömningar ännu.`);
  return el("table", { class: "data-table" },
    el("caption", {}, caption),
    el("thead", {}, el("tr", {},
      el("th", { scope: "col" }, firstColumn),
      el("th", { scope: "col", class: "number" }, "Bedömningar"),
      el("th", { scope: "col", class: "number" }, "Andel korrekt"))),
    el("tbody", {}, entries.map(([key, counts]) => el("tr", {},
      el("th", { scope: "row" }, label(key)),
      el("td", { class: "number" }, String(counts.judgments)),
      el("td", { class: "number" }, percent(counts.share_correct))))));
}

function agreementTable(pairs) {
  if (!pairs.length) {
    return el("p", { class: "hint" }, "Kappa räknas när två granskare har bedömt samma svar; det har inte hänt ännu.");
  }
  return el("table", { class: "data-table" },
    el("caption", { class: "visually-hidden" }, "Cohens kappa per par av granskare"),
    el("thead", {}, el("tr", {},
      el("th", { scope: "col" }, "Granskare"),
      el("th", { scope: "col", class: "number" }, "Gemensamma svar"),
      el("th", { scope: "col", class: "number" }, "Lika bedömda"),
      el("th", { scope: "col", class: "number" }, "Cohens kappa"))),
    el("tbody", {}, pairs.map((pair) => el("tr", {},
      el("th", { scope: "row" }, pair.reviewers.join(" och ")),
      el("td", { class: "number" }, String(pair.answers)),
      el("td", { class: "number" }, percent(pair.observed_agreement)),
      el("td", { class: "number", title: pair.kappa === null ? "Odefinierad: båda gav samma bedömning genomgående." : "" },
        pair.kappa === null ? "–" : decimal(pair.kappa))))));
}

// A bar per index version (oldest first): its share of correct judgments, 0-100 %.
function chart(byBuild) {
  const builds = Object.keys(byBuild).sort();
  const figureNode = $("chart");
  if (!builds.length) {
    figureNode.replaceChildren(el("p", { class: "hint" }, "Inga bedömningar ännu."));
    return;
  }
  const width = 640;
  const height = 260;
  const margin = { top: 28, right: 16, bottom: 48, left: 48 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const slot = plotWidth / builds.length;
  const barWidth = Math.min(96, slot * 0.6);
  const y = (share) => margin.top + plotHeight * (1 - share);
  const description = builds
    .map((build) => `${buildLabel(build)}: ${percent(byBuild[build].share_correct)} av ${byBuild[build].judgments} bedömningar`)
    .join("; ");
  const chartNode = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-labelledby": "chart-svg-title",
    class: "bar-chart",
  }, svg("title", { id: "chart-svg-title" }, `Andel korrekta svar per indexversion: ${description}`));
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    chartNode.append(
      svg("line", { x1: margin.left, x2: width - margin.right, y1: y(tick), y2: y(tick), class: tick === 0 ? "axis" : "grid" }),
      svg("text", { x: margin.left - 8, y: y(tick) + 4, class: "tick", "text-anchor": "end" }, `${tick * 100} %`));
  }
  builds.forEach((build, i) => {
    const counts = byBuild[build];
    const share = counts.share_correct ?? 0;
    const x = margin.left + slot * i + (slot - barWidth) / 2;
    chartNode.append(
      svg("rect", { x, y: y(share), width: barWidth, height: Math.max(plotHeight * share, 0), rx: 4, class: "bar" }),
      svg("text", { x: x + barWidth / 2, y: y(share) - 8, class: "bar-value", "text-anchor": "middle" },
        `${percent(counts.share_correct)} (${counts.judgments})`),
      svg("text", { x: x + barWidth / 2, y: height - margin.bottom + 20, class: "bar-label", "text-anchor": "middle" },
        buildLabel(build)));
  });
  figureNode.replaceChildren(chartNode,
    el("figcaption", {}, "Staplarna visar andelen bedömningar ”Korrekt” per indexversion; antalet bedömningar står inom parentes."));
}

async function loadSummary() {
  const summary = await api("/api/reviews/summary");
  const overall = summary.overall;
  $("figures").replaceChildren(
    figure(percent(overall.share_correct), "bedömda som korrekta",
      `${overall.verdicts.correct} av ${overall.judgments} bedömningar`),
    figure(String(summary.answers), "granskade svar"),
    figure(String(summary.reviewers), "granskare"),
    figure(String(overall.verdicts.should_have_abstained), "borde ha avstått"),
  );
  $("by-type").replaceChildren(countsTable("Per frågetyp", "Frågetyp", summary.by_question_type, (key) => TYPE_LABELS[key] || key));
  $("by-build").replaceChildren(countsTable("Per indexversion", "Indexversion", summary.by_build, buildLabel));
  $("agreement").replaceChildren(agreementTable(summary.agreement));
  chart(summary.by_build);
  const builds = $("f-build");
  for (const build of Object.keys(summary.by_build).sort().reverse()) {
    builds.append(el("option", { value: build }, `${buildLabel(build)} (${build})`));
  }
}

// Judgments.

function citationVerdicts(review) {
  const judged = review.citations.filter((citation) => citation.verdict);
  if (!judged.length) return el("span", { class: "muted" }, "Inga bedömda");
  return el("ul", { class: "citation-verdicts" }, judged.map((citation) => el("li", {
    class: `citation-verdict verdict-${citation.verdict}`,
    title: citation.quote,
  }, `[${citation.citation_id}] ${CITATION_LABELS[citation.verdict]}`)));
}

function judgmentRow(review) {
  return el("tr", { class: "judgment", "data-id": review.id },
    el("td", { class: "nowrap" }, el("time", { datetime: review.judged_at }, when(review.judged_at))),
    el("td", {}, review.reviewer),
    el("td", { class: "judged-question" },
      el("details", {},
        el("summary", {}, review.question),
        el("p", { class: "judged-answer" }, review.answer))),
    el("td", {}, TYPE_LABELS[review.question_type] || review.question_type),
    el("td", {}, el("span", { class: `verdict verdict-${review.verdict}` }, VERDICT_LABELS[review.verdict] || review.verdict)),
    el("td", {}, citationVerdicts(review)),
    el("td", { class: "comment" }, review.comment || ""),
    el("td", { class: "nowrap", title: review.build_id }, buildLabel(review.build_id)));
}

function judgmentsTable() {
  return el("table", { class: "data-table judgments-table", id: "judgments-table" },
    el("caption", { class: "visually-hidden" }, "Bedömningar, nyast först"),
    el("thead", {}, el("tr", {},
      ...["Tid", "Granskare", "Fråga och svar", "Typ", "Bedömning", "Källor", "Kommentar", "Index"]
        .map((heading) => el("th", { scope: "col" }, heading)))),
    el("tbody"));
}

function filtersFromUrl() {
  const params = new URLSearchParams(location.search);
  return Object.fromEntries(FILTERS.map((name) => [name, params.get(name) || ""]));
}

function applyFilters(filters) {
  for (const name of FILTERS) {
    const field = form.elements[name];
    field.value = filters[name];
    // A value the select does not offer (an old link) falls back to "all".
    if (field.tagName === "SELECT" && field.value !== filters[name]) field.value = "";
  }
}

async function loadJudgments(filters, append) {
  if (!append) active = filters;
  const params = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String(append ? shown : 0) });
  for (const name of FILTERS) if (filters[name]) params.set(name, filters[name]);
  const container = $("judgments");
  container.setAttribute("aria-busy", "true");
  try {
    const page = await api(`/api/reviews?${params}`);
    if (!append || !$("judgments-table")) {
      container.replaceChildren(page.items.length ? judgmentsTable() : el("p", { class: "abstain" }, "Inga bedömningar matchar filtren."));
      shown = 0;
    }
    const body = container.querySelector("tbody");
    if (body) body.append(...page.items.map(judgmentRow));
    shown += page.items.length;
    $("judgments-count").textContent = page.total ? `Visar ${shown} av ${page.total} bedömningar, nyast först.` : "";
    $("more").hidden = shown >= page.total;
    const names = new Set([...$("reviewer-names").options].map((option) => option.value));
    for (const item of page.items) {
      if (!names.has(item.reviewer)) $("reviewer-names").append(el("option", { value: item.reviewer }));
      names.add(item.reviewer);
    }
  } catch (error) {
    container.replaceChildren(errorCard(error.message));
  } finally {
    container.setAttribute("aria-busy", "false");
  }
}

function currentFilters() {
  return Object.fromEntries(FILTERS.map((name) => [name, form.elements[name].value.trim()]));
}

function showFilters(filters) {
  const params = new URLSearchParams();
  for (const name of FILTERS) if (filters[name]) params.set(name, filters[name]);
  const query = params.toString();
  history.pushState(filters, "", query ? `${location.pathname}?${query}` : location.pathname);
  loadJudgments(filters, false);
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  showFilters(currentFilters());
});
form.addEventListener("reset", (event) => {
  event.preventDefault();
  applyFilters(Object.fromEntries(FILTERS.map((name) => [name, ""])));
  showFilters(currentFilters());
});
$("more").addEventListener("click", () => loadJudgments(active, true));
window.addEventListener("popstate", () => {
  const filters = filtersFromUrl();
  applyFilters(filters);
  loadJudgments(filters, false);
});

async function start() {
  for (const [value, label] of VERDICTS) $("f-verdict").append(el("option", { value }, label));
  try {
    await loadSummary();
  } catch (error) {
    $("status").textContent = error.message;
    $("status").hidden = false;
  }
  const filters = filtersFromUrl();
  applyFilters(filters);
  await loadJudgments(filters, false);
}

start();
