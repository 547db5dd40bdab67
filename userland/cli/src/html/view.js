// The classroom view's step control: the page's data (#ipcsim-data) holds
// each event [time, process, state index, deadlock] and the states; this
// shows one event at a time, highlighted in the diagram and the trace, with
// the state after it. Nothing is fetched: the page works from file://.
"use strict";
(function () {
  const D = JSON.parse(document.getElementById("ipcsim-data").textContent);
  const n = D.steps.length;
  const $ = (id) => document.getElementById(id);
  const slider = $("slider");
  const rows = Array.from(document.querySelectorAll("#diagram .row"));
  const lines = Array.from(document.querySelectorAll("#trace li[data-step]"));
  let cur = -1;

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function list(items) {
    const ul = el("ul");
    for (const i of items) ul.appendChild(el("li", i));
    return ul;
  }
  function stateClass(s) {
    return s.startsWith("blocked") ? "blocked" : s.startsWith("ended") ? "ended" : s === "running" ? "running" : "";
  }
  function fill(tbody, rowsData, before) {
    tbody.textContent = "";
    rowsData.forEach((r, i) => {
      const tr = el("tr");
      tr.dataset.name = r[0];
      if (before && JSON.stringify(before[i]) !== JSON.stringify(r)) tr.className = "changed";
      r.forEach((cell, j) => {
        const td = el("td");
        if (Array.isArray(cell)) td.appendChild(list(cell));
        else td.textContent = cell === null ? "" : String(cell);
        if (tbody.parentElement.id === "procs" && j === 1) td.className = stateClass(String(cell));
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
  }
  function objRows(objs) {
    // [label, kind, value, contents, waiters] -> object, state, holds, waiting
    return objs.map((o) => [o[0] + " (" + o[1] + ")", o[2], o[3], o[4]]);
  }
  function drawCycle(box, names) {
    const ns = "http://www.w3.org/2000/svg";
    const ring = names.length > 1 && names[0] === names[names.length - 1] ? names.slice(0, -1) : names;
    const R = 70, W = 260, H = 200, cx = W / 2, cy = H / 2;
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("id", "cycle");
    svg.setAttribute("width", W);
    svg.setAttribute("height", H);
    svg.innerHTML = '<defs><marker id="chead" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M 0 0 L 10 5 L 0 10 z"/></marker></defs>';
    const at = ring.map((_, i) => {
      const a = -Math.PI / 2 + (2 * Math.PI * i) / ring.length;
      return [cx + R * Math.cos(a), cy + R * Math.sin(a)];
    });
    ring.forEach((_, i) => {
      if (ring.length < 2) return;
      const [x1, y1] = at[i], [x2, y2] = at[(i + 1) % ring.length];
      const d = Math.hypot(x2 - x1, y2 - y1) || 1, r = 24;
      // Two members wait for each other: draw the two arrows side by side.
      const o = ring.length === 2 ? 7 : 0, px = (-(y2 - y1) / d) * o, py = ((x2 - x1) / d) * o;
      const l = document.createElementNS(ns, "line");
      l.setAttribute("x1", x1 + px + ((x2 - x1) * r) / d);
      l.setAttribute("y1", y1 + py + ((y2 - y1) * r) / d);
      l.setAttribute("x2", x2 + px - ((x2 - x1) * r) / d);
      l.setAttribute("y2", y2 + py - ((y2 - y1) * r) / d);
      l.setAttribute("marker-end", "url(#chead)");
      svg.appendChild(l);
    });
    ring.forEach((name, i) => {
      const c = document.createElementNS(ns, "circle");
      c.setAttribute("cx", at[i][0]);
      c.setAttribute("cy", at[i][1]);
      c.setAttribute("r", 24);
      svg.appendChild(c);
      const t = document.createElementNS(ns, "text");
      t.setAttribute("x", at[i][0]);
      t.setAttribute("y", at[i][1] + 4);
      t.textContent = name.length > 10 ? name.slice(0, 9) + "…" : name;
      svg.appendChild(t);
    });
    box.appendChild(svg);
  }
  function showDeadlock(i) {
    // The latest deadlock formed at or before this event stays shown.
    const box = $("deadlock");
    let dl = null;
    for (let j = i; j >= 0; j--) if (D.steps[j][3]) { dl = D.steps[j][3]; break; }
    box.hidden = !dl;
    box.textContent = "";
    if (!dl) return;
    box.appendChild(el("h3", "Deadlock: " + dl.members.join(", ")));
    box.appendChild(list(dl.waits));
    if (dl.cycle.length) {
      box.appendChild(el("p", "cycle: " + dl.cycle.join(" → ")));
      drawCycle(box, dl.cycle);
    }
  }
  function show(i) {
    if (n === 0) { $("where").textContent = "no events"; return; }
    i = Math.max(0, Math.min(n - 1, i));
    const prev = cur;
    cur = i;
    slider.value = i;
    const [t, who, si] = D.steps[i];
    $("where").textContent = "event " + (i + 1) + " of " + n + " · t=" + t + " · " + who;
    for (const r of document.querySelectorAll(".on")) r.classList.remove("on");
    if (rows[i]) rows[i].classList.add("on");
    if (lines[i]) lines[i].classList.add("on");
    const s = D.states[si];
    const before = prev >= 0 ? D.states[D.steps[prev][2]] : null;
    fill(document.querySelector("#procs tbody"), s.procs, before && before.procs);
    fill(document.querySelector("#objs tbody"), objRows(s.objs), before && objRows(before.objs));
    showDeadlock(i);
    const target = rows[i];
    if (target && target.scrollIntoView) target.scrollIntoView({ block: "nearest" });
    if (lines[i] && lines[i].scrollIntoView) lines[i].scrollIntoView({ block: "nearest" });
  }
  $("first").onclick = () => show(0);
  $("back").onclick = () => show(cur - 1);
  $("fwd").onclick = () => show(cur + 1);
  $("last").onclick = () => show(n - 1);
  slider.oninput = () => show(Number(slider.value));
  rows.forEach((r, i) => r.addEventListener("click", () => show(i)));
  lines.forEach((l, i) => l.addEventListener("click", () => show(i)));
  document.addEventListener("keydown", (e) => {
    if (e.target === slider) return;
    const go = { ArrowRight: cur + 1, ArrowLeft: cur - 1, Home: 0, End: n - 1 }[e.key];
    if (go !== undefined) { e.preventDefault(); show(go); }
  });
  const hash = /#step=(\d+)/.exec(location.hash);
  show(hash ? Number(hash[1]) : 0);
})();
