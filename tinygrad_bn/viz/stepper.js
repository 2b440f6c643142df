// Steps through a recorded backward pass on the picture above it: → and ← (or
// the buttons) move one node; the running node is highlighted and the panel
// shows the gradient that arrived, where it came from, what the node saved and
// what it sent on. Every stepper on a page works on its own container.
(function () {
  "use strict";
  const root = document.currentScript.parentElement;
  const data = JSON.parse(root.querySelector("script.tgbn-steps").textContent);
  const panel = root.querySelector(".tgbn-panel");
  const counter = root.querySelector(".tgbn-counter");
  const nodes = new Map();
  root.querySelectorAll("svg g.node").forEach((g) => nodes.set(g.id, g));
  let current = -1;

  function element(tag, text, className) {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (className) e.className = className;
    return e;
  }

  function list(title, rows) {
    const section = element("div", undefined, "tgbn-section");
    section.appendChild(element("h4", title));
    const ul = element("ul");
    rows.forEach((row) => ul.appendChild(element("li", row)));
    if (!rows.length) ul.appendChild(element("li", "nothing"));
    section.appendChild(ul);
    return section;
  }

  function describe(step) {
    panel.replaceChildren();
    panel.appendChild(element("h3", step.title));
    panel.appendChild(element("div", step.formula, "tgbn-formula"));
    const g = step.grad;
    const arrived = [`shape ${g.shape} · norm ${g.norm}`, `values ${g.values}`];
    if (step.received.length > 1) {
      arrived.push(`the sum of ${step.received.length} gradients (the output fans out):`);
    }
    step.received.forEach((r) => arrived.push(`  from ${r.from} · norm ${r.norm}`));
    panel.appendChild(list("gradient arriving", arrived));
    panel.appendChild(list("saved by forward", step.saved));
    panel.appendChild(list("sends back", step.sends));
  }

  function show(index) {
    current = Math.max(-1, Math.min(index, data.steps.length - 1));
    nodes.forEach((g) => g.classList.remove("tgbn-running", "tgbn-done"));
    data.steps.forEach((step, i) => {
      const g = nodes.get(step.id);
      if (g && i < current) g.classList.add("tgbn-done");
    });
    root.dataset.step = String(current);
    if (current < 0) {
      counter.textContent = `${data.steps.length} steps · press → to start`;
      panel.replaceChildren(element("p", data.intro));
      return;
    }
    const step = data.steps[current];
    const g = nodes.get(step.id);
    if (g) {
      g.classList.add("tgbn-running");
      g.scrollIntoView({ block: "center", inline: "nearest" });
    }
    counter.textContent = `step ${current + 1} of ${data.steps.length}`;
    describe(step);
  }

  function onKey(event) {
    const steppers = document.querySelectorAll(".tgbn-stepper").length;
    if (steppers > 1 && !root.contains(document.activeElement)) return;
    if (event.key === "ArrowRight") show(current + 1);
    else if (event.key === "ArrowLeft") show(current - 1);
    else return;
    event.preventDefault();
  }

  root.querySelector(".tgbn-next").addEventListener("click", () => show(current + 1));
  root.querySelector(".tgbn-prev").addEventListener("click", () => show(current - 1));
  document.addEventListener("keydown", onKey);
  show(-1);
  root.dataset.ready = "true";
})();
