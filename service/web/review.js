// Reviewing answers: the "Granskare" control (a key, checked with /api/reviews/whoami when it is entered
// and kept in sessionStorage for this tab only, never in the address; hidden when judging is off) and,
// while a reviewer is active, a form under each answer that judges the answer and each of its citations
// and posts the judgment to /api/reviews with X-Reviewer-Key.

import { $, api, el, postJson } from "./dom.js";

const STORAGE_KEY = "stadshus.reviewer";
const FORM_ID = "review-form";
export const VERDICTS = [
  ["correct", "Korrekt"],
  ["partly_correct", "Delvis korrekt"],
  ["wrong", "Fel"],
  ["should_have_abstained", "Borde ha avstått"],
];
export const CITATION_VERDICTS = [
  ["supports", "Stöder påståendet"],
  ["does_not_support", "Stöder inte"],
];
const SAVED = {
  created: "Sparad: bedömningen är lagrad",
  updated: "Uppdaterad: din tidigare bedömning av svaret är ersatt",
  unchanged: "Oförändrad: samma bedömning fanns redan sparad",
};

/** The active reviewer `{name, key}`, or null. */
export function currentReviewer() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "null");
    return stored && stored.key ? stored : null;
  } catch {
    return null;
  }
}

function showReviewer() {
  const reviewer = currentReviewer();
  $("reviewer-form").hidden = Boolean(reviewer);
  $("reviewer-active").hidden = !reviewer;
  $("reviewer-label").textContent = reviewer ? `Granskare: ${reviewer.name}` : "Granskare";
  $("reviewer-status").textContent = reviewer
    ? `Du granskar som ${reviewer.name}. Varje svar får nu knappar för att bedöma svaret och dess källor.`
    : "";
}

// Whether judging is on and whose `key` is: {enabled, reviewer}; throws the API's message for a wrong key.
async function whoami(key) {
  return api("/api/reviews/whoami", key ? { headers: { "X-Reviewer-Key": key } } : {});
}

function panelError(text) {
  const node = $("reviewer-error");
  node.textContent = text;
  node.hidden = !text;
}

/** Wire the "Granskare" control; `onChange()` runs when a reviewer starts or stops. The control stays
 * hidden when the service has judging off (or cannot say). */
export async function initReviewer(onChange) {
  $("reviewer-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = $("reviewer-key").value.trim();
    if (!key) {
      $("reviewer-key").focus();
      return;
    }
    const submit = $("reviewer-form").querySelector("button[type=submit]");
    submit.disabled = true;
    panelError("");
    try {
      const status = await whoami(key);
      if (!status.reviewer) throw new Error("Granskning är inte påslagen i den här tjänsten.");
      sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ name: status.reviewer, key }));
      $("reviewer-key").value = "";
      $("reviewer").open = false;
      showReviewer();
      onChange();
    } catch (error) {
      panelError(error.message);
      $("reviewer-key").focus();
    } finally {
      submit.disabled = false;
    }
  });
  $("reviewer-stop").addEventListener("click", () => {
    sessionStorage.removeItem(STORAGE_KEY);
    showReviewer();
    $("reviewer-key").focus();
    onChange();
  });
  showReviewer();
  const stored = currentReviewer();
  try {
    const status = await whoami(stored ? stored.key : "");
    $("reviewer").hidden = !status.enabled;
    if (!status.enabled && stored) sessionStorage.removeItem(STORAGE_KEY);
  } catch (error) {
    // A stored key that is no longer valid (the keys changed): the reviewer enters one again.
    sessionStorage.removeItem(STORAGE_KEY);
    panelError(error.message);
    $("reviewer").hidden = false;
  }
  showReviewer();
  onChange();
}

function radio(name, value, label, props = {}) {
  const id = `${name}-${value}`;
  return el("span", { class: "choice" },
    el("input", { type: "radio", id, name, value, form: FORM_ID, ...props }),
    el("label", { for: id }, label));
}

/** The judgment controls of one citation (placed beside the citation, tied to the review form). */
export function citationControls(citation) {
  const name = `cite-${citation.id}`;
  return el("fieldset", { class: "cite-verdict" },
    el("legend", {}, `Stöder källa [${citation.id}] svaret?`),
    ...CITATION_VERDICTS.map(([value, label]) => radio(name, value, label)),
    radio(name, "none", "Ej bedömd", { checked: true }));
}

// What the page was shown, in the shape the review API takes (the /api/ask response, without extras),
// with the signature that shows the service gave it.
function judgedAnswer(answer) {
  const { question, supported, citations, districts, generator, signature } = answer;
  return { question, answer: answer.answer, supported, citations, districts, generator, signature };
}

/** The review form of an answer: its verdict, a comment and a submit button; the citation verdicts
 * come from `citationControls` beside each citation. */
export function reviewForm(answer) {
  const result = el("p", { class: "review-result", role: "status" });
  const verdicts = el("fieldset", { class: "verdicts" },
    el("legend", {}, "Är svaret rätt?"),
    ...VERDICTS.map(([value, label]) => radio("verdict", value, label,
      // The service refuses "should have abstained" for an answer that did abstain.
      value === "should_have_abstained" && !answer.supported ? { disabled: true } : {})));
  const comment = el("textarea", { id: "review-comment", name: "comment", rows: "2", maxlength: "2000", form: FORM_ID });
  const form = el("form", { id: FORM_ID, class: "review", method: "post", "aria-labelledby": "review-title" },
    el("h3", { id: "review-title" }, "Granska svaret"),
    verdicts,
    answer.citations.length ? el("p", { class: "hint" }, "Bedöm gärna varje källa ovan: stöder den svaret?") : null,
    el("label", { for: "review-comment" }, "Kommentar (valfri)"),
    comment,
    el("div", { class: "review-submit" }, el("button", { type: "submit", class: "primary" }, "Skicka bedömning"), result));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const reviewer = currentReviewer();
    const verdict = form.elements.verdict.value;
    if (!reviewer) {
      showResult(result, "error", "Ange din granskarnyckel under Granskare först.");
      return;
    }
    if (!verdict) {
      showResult(result, "error", "Välj först om svaret är korrekt, delvis korrekt, fel eller borde ha avstått.");
      return;
    }
    const citations = [];
    for (const citation of answer.citations) {
      const chosen = form.elements[`cite-${citation.id}`];
      if (chosen && chosen.value !== "none") citations.push({ citation_id: citation.id, verdict: chosen.value });
    }
    const submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    showResult(result, "pending", "Skickar …");
    try {
      const saved = await postJson("/api/reviews", {
        answer: judgedAnswer(answer),
        verdict,
        comment: comment.value.trim() || null,
        citations,
      }, { "X-Reviewer-Key": reviewer.key });
      showResult(result, saved.status, `${SAVED[saved.status] || saved.status} (granskare ${saved.review.reviewer}).`);
    } catch (error) {
      showResult(result, "error", `Kunde inte spara: ${error.message}`);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function showResult(node, status, text) {
  node.className = `review-result result-${status}`;
  node.dataset.status = status;
  node.textContent = text;
}
