// The Fleet page: renders /fleet/api/fleet and /fleet/api/gpus (same origin, the UI's login cookie). No build step.
"use strict";

const REFRESH_MS = 30000;
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined) continue;
    if (key === "class") node.className = value; else node.setAttribute(key, value);
  }
  for (const child of children.flat()) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
};
const link = (href, text) => href ? el("a", {href, target: "_top"}, text) : text;
const when = (iso) => iso ? new Date(iso).toLocaleString() : "";
const plural = (count, noun) => `${count} ${noun}${count === 1 ? "" : "s"}`;
const pct = (rate) => rate === null || rate === undefined ? "–" : `${(rate * 100).toFixed(1)}%`;

async function getJson(path) {
  const response = await fetch(path, {credentials: "same-origin", headers: {Accept: "application/json"}});
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

function sparkline(points) {
  const values = points.map((p) => p.value).filter((v) => v !== null && v !== undefined);
  if (values.length < 2) return el("span", {class: "muted"}, values.length ? "1 version" : "");
  const w = 90, h = 22, lo = Math.min(...values), hi = Math.max(...values), span = hi - lo || 1;
  const xy = values.map((v, i) => `${(i * (w - 4)) / (values.length - 1) + 2},${h - 2 - ((v - lo) * (h - 4)) / span}`);
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("width", w); svg.setAttribute("height", h); svg.setAttribute("class", "trend");
  svg.innerHTML = `<title>${points.map((p) => `v${p.version} ${p.logical_date || ""}: ${p.value ?? "–"}`).join("\n")}</title>` +
    `<polyline fill="none" stroke="#0969da" stroke-width="1.5" points="${xy.join(" ")}"/>`;
  return svg;
}

function championCell(pipeline) {
  if (pipeline.champions === null) return el("span", {class: "muted"}, "MLflow not read");
  if (!pipeline.champions.length) return el("span", {class: "muted"}, "no model yet");
  return pipeline.champions.map((c) => el("div", {class: "champion", "data-model": c.model_name},
    c.version ? link(c.url, `${pipeline.champions.length > 1 ? c.model_name + " " : ""}v${c.version}`) : el("span", {class: "muted"}, "no champion"),
    c.value !== null && c.value !== undefined ? ` ${c.metric} ${Number(c.value).toFixed(4)} ` : " ",
    sparkline(c.trend),
    c.trace_url ? el("a", {href: c.trace_url, class: "trace", target: "_blank"}, " trace") : ""));
}

function renderPipelines(view) {
  const root = document.getElementById("view-pipelines");
  root.replaceChildren();
  if (!view.tenants.length) root.append(el("p", {class: "muted"}, "No pipelines you may see."));
  for (const tenant of view.tenants) {
    const summary = tenant.runs_7d === 0 && tenant.pipelines.every((p) => !p.last_run)
      ? el("span", {class: "badge no-runs"}, "no runs yet")
      : el("span", {class: "muted"}, `${plural(tenant.runs_7d, "run")} in 7 days, ${tenant.failed_7d} failed` +
          (tenant.dead_letters ? `, ${plural(tenant.dead_letters, "open dead letter")}` : ""));
    const rows = tenant.pipelines.map((p) => el("tr", {"data-dag-id": p.dag_id, "data-state": p.last_run ? p.last_run.state : "none"},
      el("td", {}, link(p.url, p.model), p.broken ? el("span", {class: "badge state-failed"}, " broken spec") : "",
         p.paused ? el("span", {class: "badge"}, "paused") : ""),
      el("td", {class: "last-run"}, p.last_run
        ? [link(p.last_run.url, el("span", {class: `badge state-${p.last_run.state}`}, p.last_run.state)), " ",
           el("span", {class: "muted"}, when(p.last_run.end || p.last_run.logical_date))]
        : el("span", {class: "muted"}, "no runs yet")),
      el("td", {}, pct(p.success_7d.rate), el("span", {class: "muted"}, ` (${p.success_7d.succeeded}/${p.success_7d.succeeded + p.success_7d.failed})`)),
      el("td", {}, championCell(p)),
      el("td", {}, el("span", {class: `badge drift-${p.drift.status}`, title: p.drift.columns.join(", ")}, p.drift.status)),
      el("td", {}, p.dead_letters === null ? "n/a" : String(p.dead_letters))));
    root.append(el("section", {class: "tenant", "data-tenant": tenant.id},
      el("h2", {}, tenant.id, summary),
      el("table", {}, el("thead", {}, el("tr", {}, ["pipeline", "last run", "success 7d", "champion (metric, trend)", "drift", "dead letters"].map((h) => el("th", {}, h)))),
        el("tbody", {}, rows))));
  }
}

function timeline(view) {
  const lanes = view.devices.map((d) => `${d.gpu_class}/${d.host}/${d.device}`);
  const end = new Date(view.generated_at).getTime(), start = end - 24 * 3600 * 1000;
  const left = 170, width = 760, lane = 18, h = lanes.length * lane + 24;
  const x = (t) => left + ((Math.max(t, start) - start) / (end - start)) * width;
  const colours = {};
  const palette = ["#0969da", "#8250df", "#1a7f37", "#bf3989", "#9a6700", "#cf222e", "#57606a"];
  let svg = `<svg width="${left + width + 10}" height="${h}" id="gpu-timeline">`;
  lanes.forEach((name, i) => { svg += `<text x="4" y="${i * lane + 13}">${name}</text>`; });
  for (let hour = 0; hour <= 24; hour += 6) svg += `<text x="${x(start + hour * 3600000) - 8}" y="${h - 4}">-${24 - hour}h</text>`;
  for (const interval of view.timeline) {
    const i = lanes.indexOf(`${interval.gpu_class}/${interval.host}/${interval.device}`);
    if (i < 0) continue;
    const colour = colours[interval.tenant] ||= palette[Object.keys(colours).length % palette.length];
    const a = x(new Date(interval.start).getTime()), b = x(interval.end ? new Date(interval.end).getTime() : end);
    svg += `<rect x="${a}" y="${i * lane + 3}" width="${Math.max(b - a, 2)}" height="${lane - 6}" fill="${colour}">` +
      `<title>${interval.tenant} ${interval.dag_id}.${interval.task_id} ${when(interval.start)} – ${interval.end ? when(interval.end) : "now"}</title></rect>`;
  }
  const holder = el("div", {});
  holder.innerHTML = svg + "</svg>";
  return holder;
}

function renderGpus(view) {
  const root = document.getElementById("view-gpus");
  root.replaceChildren();
  root.append(el("h2", {}, "Devices and live leases"));
  root.append(el("div", {class: "devices"}, view.devices.map((d) => el("div",
    {class: `device${d.lease ? " leased" : ""}`, "data-device": `${d.gpu_class}/${d.host}/${d.device}`, "data-tenant": d.lease ? d.lease.tenant : ""},
    el("div", {class: "name"}, `${d.gpu_class} ${d.host}:${d.device}`),
    d.lease ? el("div", {}, `${d.lease.tenant} ${d.lease.dag_id}.${d.lease.task_id}`, el("div", {class: "muted"}, `since ${when(d.lease.since)}`))
            : el("div", {class: "muted"}, "free")))));
  root.append(el("h2", {}, "Per team: guarantee, use, borrowing"));
  root.append(el("table", {id: "gpu-teams"}, el("thead", {}, el("tr", {}, ["class", "tenant", "guaranteed", "pool slots", "in use", "borrowed", "waiting tasks"].map((h) => el("th", {}, h)))),
    el("tbody", {}, view.tenants.map((t) => el("tr", {"data-tenant": t.tenant},
      [t.gpu_class, t.tenant, t.guarantee, t.pool_slots, t.in_use, t.borrowed, t.waiting].map((v) => el("td", {}, String(v))))))));
  root.append(el("h2", {}, "Leases, last 24 hours"), timeline(view));
}

function showMissing(...views) {
  const missing = views.flatMap((v) => (v && v.missing) || []);
  const box = document.getElementById("missing");
  box.hidden = !missing.length;
  box.replaceChildren(el("strong", {}, "Not shown: "), missing.join("; "));
}

async function refresh() {
  const [fleet, gpus] = await Promise.allSettled([getJson("api/fleet"), getJson("api/gpus")]);
  if (fleet.status === "fulfilled") renderPipelines(fleet.value);
  else document.getElementById("view-pipelines").replaceChildren(el("p", {class: "missing"}, String(fleet.reason)));
  if (gpus.status === "fulfilled") renderGpus(gpus.value);
  else document.getElementById("view-gpus").replaceChildren(el("p", {class: "missing"}, String(gpus.reason)));
  showMissing(fleet.value, gpus.value);
  document.getElementById("generated").textContent = `as of ${new Date().toLocaleTimeString()}`;
  document.body.dataset.loaded = "true";
}

function select(view) {
  for (const name of ["pipelines", "gpus"]) {
    document.getElementById(`view-${name}`).hidden = name !== view;
    document.getElementById(`tab-${name}`).setAttribute("aria-selected", String(name === view));
  }
  history.replaceState(null, "", view === "gpus" ? "#gpus" : "#");
}

document.querySelectorAll("nav button").forEach((b) => b.addEventListener("click", () => select(b.dataset.view)));
select(location.hash === "#gpus" ? "gpus" : "pipelines");
refresh();
setInterval(refresh, REFRESH_MS);
