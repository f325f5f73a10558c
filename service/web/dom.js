// Small helpers shared by the pages: building elements from data, calling the API, downloading files.
// Strings always become text nodes (textContent / createTextNode), so data from the API can never become markup.

const SVG_NS = "http://www.w3.org/2000/svg";

export const $ = (id) => document.getElementById(id);

function build(node, props, children) {
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.setAttribute("class", value);
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

/** An HTML element with attributes, event handlers ("onclick") and children (strings become text). */
export function el(tag, props = {}, ...children) {
  return build(document.createElement(tag), props, children);
}

/** An SVG element, built like `el`. */
export function svg(tag, props = {}, ...children) {
  return build(document.createElementNS(SVG_NS, tag), props, children);
}

async function failure(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const detail = body && typeof body.detail === "string" ? body.detail : `Något gick fel (HTTP ${response.status}).`;
  return new Error(detail);
}

async function send(path, options) {
  try {
    return await fetch(path, options);
  } catch {
    throw new Error("Tjänsten svarar inte. Kontrollera anslutningen och försök igen.");
  }
}

/** The JSON of an API call; an Error with the API's Swedish `detail` when it fails. */
export async function api(path, options = {}) {
  const response = await send(path, { ...options, headers: { "Accept": "application/json", ...(options.headers || {}) } });
  if (!response.ok) throw await failure(response);
  return response.json();
}

/** POST `body` as JSON and return the JSON of the response. */
export async function postJson(path, body, headers = {}) {
  return api(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

// The name the server gives an attachment: Content-Disposition: attachment; filename="x.csv".
function attachmentName(response, fallback) {
  const header = response.headers.get("Content-Disposition") || "";
  const match = header.match(/filename="([^"]+)"/);
  return match ? match[1] : fallback;
}

/** Fetch a file (a POST export) and hand it to the browser as a download. */
export async function downloadFile(path, options, fallbackName) {
  const response = await send(path, options);
  if (!response.ok) throw await failure(response);
  const url = URL.createObjectURL(await response.blob());
  const link = el("a", { href: url, download: attachmentName(response, fallbackName), hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started from the object URL; release it once the browser has had it.
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** "Ladda ner: Markdown · CSV" as plain links to a GET export (`href(format)`). */
export function downloadLinks(label, href) {
  return el("p", { class: "downloads" },
    el("span", { class: "downloads-label" }, label),
    el("a", { href: href("md"), download: "", class: "download" }, "Markdown"),
    el("a", { href: href("csv"), download: "", class: "download" }, "CSV"));
}

/** The same row for an export that needs a POST: buttons that call `onDownload(format, button)`. */
export function downloadButtons(label, onDownload) {
  const button = (format, text) => el("button", {
    type: "button",
    class: "download",
    onclick: async (event) => {
      const target = event.currentTarget;
      target.disabled = true;
      try {
        await onDownload(format);
      } finally {
        target.disabled = false;
      }
    },
  }, text);
  return el("p", { class: "downloads" }, el("span", { class: "downloads-label" }, label), button("md", "Markdown"), button("csv", "CSV"));
}

/** An error shown in a card, announced to screen readers. */
export function errorCard(message) {
  return el("div", { class: "card error", role: "alert" }, message);
}

/** A share 0..1 as Swedish per cent ("44 %"); "–" when there is none. */
export function percent(share) {
  return share === null || share === undefined ? "–" : `${Math.round(share * 100)} %`;
}

/** A number with a Swedish decimal comma. */
export function decimal(value, digits = 2) {
  return value === null || value === undefined ? "–" : value.toFixed(digits).replace(".", ",");
}
