// How a district is involved in a topic, as the answers and the overview show it.

import { el } from "./dom.js";

export const INVOLVEMENT = {
  "har": { label: "Gör redan", hint: "Dokumenten säger att stadsdelen gör detta." },
  "kommer att": { label: "Kommer att", hint: "Dokumenten säger att stadsdelen ska göra detta." },
  "planerar": { label: "Planerar", hint: "Dokumenten säger att stadsdelen planerar detta." },
  "nämner": { label: "Nämns", hint: "Stadsdelen nämns i samband med frågan." },
};

/** A coloured badge for an involvement ("har", "kommer att", "planerar", "nämner"). */
export function involvementBadge(involvement) {
  const known = INVOLVEMENT[involvement] || { label: involvement, hint: "" };
  return el("span", { class: `badge badge-${involvement.replace(/\s+/g, "-")}`, title: known.hint }, known.label);
}
