// medcode review workbench: evidence linking, text selection for missed codes, code search and
// keyboard shortcuts. Loaded from /assets (the Content-Security-Policy forbids inline script).
"use strict";

(function () {
  const text = document.getElementById("text");
  const cards = Array.from(document.querySelectorAll(".card[data-s]"));
  let current = cards.findIndex((c) => c.classList.contains("open"));

  // Evidence: hovering or focusing a card lights its spans; clicking a span goes to its card.
  function marksOf(n) {
    return text ? Array.from(text.querySelectorAll("mark[data-s]")).filter(
      (m) => m.dataset.s.split(" ").includes(n)) : [];
  }
  function light(card, on) {
    for (const m of marksOf(card.dataset.s)) m.classList.toggle("hl", on);
  }
  function select(index, scroll) {
    if (index < 0 || index >= cards.length) return;
    if (current >= 0 && cards[current]) { cards[current].classList.remove("current"); light(cards[current], false); }
    current = index;
    const card = cards[current];
    card.classList.add("current");
    light(card, true);
    card.focus({ preventScroll: !scroll });
    const first = marksOf(card.dataset.s)[0];
    if (first && scroll) first.scrollIntoView({ block: "center" });
  }
  cards.forEach((card, i) => {
    card.addEventListener("mouseenter", () => light(card, true));
    card.addEventListener("mouseleave", () => { if (i !== current) light(card, false); });
    card.addEventListener("focusin", () => { if (i !== current) select(i, false); });
  });
  if (text) {
    text.addEventListener("click", (event) => {
      const mark = event.target.closest("mark[data-s]");
      if (!mark) return;
      const n = mark.dataset.s.split(" ")[0];
      const index = cards.findIndex((c) => c.dataset.s === n);
      if (index >= 0) { select(index, false); cards[index].scrollIntoView({ block: "nearest" }); }
    });
  }

  // A missed code: the selected text's byte offsets (UTF-8, as the report's spans) go into
  // the add form.
  const encoder = new TextEncoder();
  function offsetIn(node, offset) {
    const range = document.createRange();
    range.setStart(text, 0);
    range.setEnd(node, offset);
    return encoder.encode(range.toString()).length;
  }
  document.addEventListener("selectionchange", () => {
    const sel = document.getSelection();
    if (!text || !sel || sel.rangeCount === 0 || sel.isCollapsed) return;
    const range = sel.getRangeAt(0);
    if (!text.contains(range.startContainer) || !text.contains(range.endContainer)) return;
    const start = offsetIn(range.startContainer, range.startOffset);
    const end = offsetIn(range.endContainer, range.endOffset);
    if (end <= start) return;
    document.getElementById("add-start").value = String(start);
    document.getElementById("add-end").value = String(end);
    const shown = range.toString();
    document.getElementById("add-selection").textContent =
      "Evidence: \u201c" + (shown.length > 120 ? shown.slice(0, 120) + "\u2026" : shown) + "\u201d";
  });

  // Code search for the change and add fields: dictionary hits as suggestions.
  const list = document.getElementById("code-list");
  let timer = null;
  for (const input of document.querySelectorAll("input.code-search")) {
    input.addEventListener("input", () => {
      clearTimeout(timer);
      const q = input.value.trim();
      if (q.length < 2 || !list) return;
      timer = setTimeout(async () => {
        const response = await fetch("/v1/search?limit=12&q=" + encodeURIComponent(q));
        if (!response.ok) return;
        const hits = await response.json();
        list.replaceChildren(...hits.map((hit) => {
          const option = document.createElement("option");
          option.value = hit.code;
          option.label = hit.code + " " + hit.title;
          return option;
        }));
      }, 150);
    });
  }

  // Keys.
  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable]") !== null;
  }
  function click(selector) {
    const card = cards[current];
    const el = card && card.querySelector(selector);
    if (el) el.click();
  }
  function focusIn(selector) {
    const card = cards[current];
    const el = card && card.querySelector(selector);
    if (el) el.focus();
  }
  function go(id) {
    const link = document.getElementById(id);
    if (link) window.location.href = link.href;
  }
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    const actions = {
      j: () => select(Math.min(current + 1, cards.length - 1), true),
      k: () => select(Math.max(current - 1, 0), true),
      a: () => click("form.accept button"),
      r: () => focusIn("form.reject input[name=reason_text]"),
      c: () => focusIn("form.change input[name=new_code]"),
      e: () => click("a.explain"),
      n: () => { const el = document.getElementById("add-code"); if (el) el.focus(); },
      "]": () => go("next-note"),
      "[": () => go("prev-note"),
      "?": () => { const d = document.getElementById("keys"); if (d) d.showModal(); },
    };
    const action = actions[event.key];
    if (action) { event.preventDefault(); action(); }
  });
  // Enter in the reject reason submits the reject form (its own button does too).
  for (const input of document.querySelectorAll("form.reject input[name=reason_text]")) {
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") { event.preventDefault(); input.form.requestSubmit(); }
    });
  }

  if (cards.length > 0) select(current >= 0 ? current : 0, false);
})();
