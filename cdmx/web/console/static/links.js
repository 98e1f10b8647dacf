// Text with its web links clickable. Only http and https become links; the rest of the
// text stays text (createTextNode), so nothing a customer writes can become markup.

// A run of non-space characters starting with a web scheme; trailing punctuation that
// usually closes a sentence is given back to the text.
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"]+/gi;
const TRAILING = /[.,;:!?¡¿)\]}'»”]+$/;

export function safeHref(value) {
  try {
    const url = new URL(String(value));
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

export function linkElement(href, text, className) {
  const anchor = document.createElement("a");
  anchor.href = href;
  anchor.textContent = text;
  anchor.target = "_blank";
  anchor.rel = "noopener noreferrer";
  if (className) anchor.className = className;
  return anchor;
}

export function linkifiedText(text) {
  const fragment = document.createDocumentFragment();
  const value = String(text ?? "");
  let last = 0;
  for (const match of value.matchAll(URL_PATTERN)) {
    let found = match[0];
    const trailing = found.match(TRAILING);
    if (trailing) found = found.slice(0, -trailing[0].length);
    const href = safeHref(found);
    if (!href) continue;
    if (match.index > last) fragment.append(document.createTextNode(value.slice(last, match.index)));
    fragment.append(linkElement(href, found, "message-link"));
    last = match.index + found.length;
  }
  if (last < value.length) fragment.append(document.createTextNode(value.slice(last)));
  return fragment;
}
