// The review page: loads a batch's findings, filters them, records decisions (keyboard: j/k a r c).
// Built with DOM calls and textContent only: cell text is untrusted and is never parsed as HTML.
"use strict";
(function () {
  const labels = JSON.parse(document.body.dataset.labels);
  const DECISIONS = { accept: "采纳", reject: "驳回" };
  const FILTERS = ["family", "code", "department", "project", "decided"];
  const $ = (id) => document.getElementById(id);
  let batchId = "", items = [], shown = [], current = 0;
  let notice = ""; // why the last save was not made: shown above whichever finding is selected

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    Object.assign(node, props || {});
    children.forEach((child) => node.append(child));
    return node;
  }

  async function call(url, options) {
    const response = await fetch(url, options);
    const body = await response.json();
    if (!response.ok) throw Object.assign(new Error(body.error ? body.error.message : response.statusText), { status: response.status, body: body });
    return body;
  }

  async function openBatch(id) {
    batchId = id;
    notice = "";
    items = id ? (await call("review/api/batches/" + encodeURIComponent(id))).items : [];
    fillChoices("code", items.map((i) => i.code));
    fillChoices("department", items.map((i) => i.cells.department));
    fillChoices("project", items.map((i) => i.cells.project_name));
    current = 0;
    render();
  }

  function fillChoices(name, values) {
    const select = $("f-" + name);
    select.replaceChildren(el("option", { value: "", textContent: "全部" }));
    [...new Set(values.filter(Boolean))].sort().forEach((v) => select.append(el("option", { value: v, textContent: v })));
  }

  function matches(item) {
    const f = Object.fromEntries(FILTERS.map((name) => [name, $("f-" + name).value]));
    return (!f.family || item.family === f.family) && (!f.code || item.code === f.code)
      && (!f.department || item.cells.department === f.department)
      && (!f.project || item.cells.project_name === f.project)
      && (!f.decided || (f.decided === "decided") === Boolean(item.decision));
  }

  function render() {
    shown = items.filter(matches);
    current = Math.max(0, Math.min(current, shown.length - 1));
    $("count").textContent = String(shown.length);
    $("queue").replaceChildren(...shown.map((item, index) => {
      const row = el("li", { className: index === current ? "selected" : "" },
        el("span", { textContent: item.risk.toFixed(2) }),
        el("span", { className: "tag " + item.family, textContent: item.code }),
        el("span", { className: "name", textContent: (item.cells.level3 || item.cells.target_value) + " · " + item.cells.project_name }),
        el("span", { className: "state-" + (item.decision || ""), textContent: DECISIONS[item.decision] || (item.comment ? "意见" : "") }));
      row.dataset.key = item.key;
      row.addEventListener("click", () => { current = index; render(); });
      return row;
    }));
    const selected = $("queue").children[current];
    if (selected) selected.scrollIntoView({ block: "nearest" });
    renderDetail(shown[current]);
  }

  function highlighted(text, item, name) {
    const cell = el("td", {});
    if (name !== item.field) { cell.textContent = text; return cell; }
    cell.className = "hit";
    const ok = item.start >= 0 && item.end > item.start && item.end <= text.length;
    cell.append(ok ? text.slice(0, item.start) : "", el("mark", { textContent: ok ? text.slice(item.start, item.end) : text }),
      ok ? text.slice(item.end) : "");
    return cell;
  }

  function renderDetail(item) {
    const detail = $("detail");
    const alert = notice ? [el("p", { className: "notice", textContent: notice })] : [];
    if (!item) { detail.replaceChildren(...alert, el("p", { className: "empty", textContent: "没有符合条件的问题。" })); return; }
    const rows = Object.entries(labels.cells).map(([name, label]) =>
      el("tr", {}, el("th", { textContent: label }), highlighted(item.cells[name] || "", item, name)));
    const comment = el("textarea", { id: "comment", value: item.comment || "", placeholder: "审核意见（可选）" });
    comment.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && event.ctrlKey) { event.preventDefault(); decide(item, item.decision, comment.value); comment.blur(); }
      if (event.key === "Escape") comment.blur();
    });
    detail.replaceChildren(...alert,
      el("h2", {}, el("span", { className: "tag " + item.family, textContent: item.code }), " " + item.title,
        " · " + (labels.families[item.family] || item.family) + " · 风险 " + item.risk.toFixed(2)),
      el("p", { textContent: item.message }),
      el("p", { textContent: "依据：" + item.evidence }),
      el("p", { textContent: "建议：" + item.suggestion }),
      el("table", {}, el("tbody", {}, ...rows)),
      el("div", { className: "actions" },
        button("accept", "采纳 (a)", () => decide(item, "accept", comment.value)),
        button("reject", "驳回 (r)", () => decide(item, "reject", comment.value)),
        button("save-comment", "保存意见", () => decide(item, item.decision, comment.value)),
        el("span", { id: "decision", className: "state-" + (item.decision || ""), textContent: DECISIONS[item.decision] ? "已" + DECISIONS[item.decision] : "未审核" })),
      comment);
  }

  function button(id, text, action) {
    const node = el("button", { id: id, type: "button", textContent: text });
    node.addEventListener("click", action);
    return node;
  }

  // Sent with the review the page shows as its base: the server refuses (409) a save over a review
  // another reviewer changed since, and answers with the stored one, which the page then shows.
  async function decide(item, decision, comment) {
    const base = { decision: item.decision || null, comment: item.comment || "", decided_at: item.decided_at || "" };
    const body = JSON.stringify({ decision: decision || null, comment: comment || "", reviewer: $("reviewer").value.trim(), base: base });
    try {
      const saved = await call("review/api/batches/" + encodeURIComponent(batchId) + "/decisions/" + item.key,
        { method: "PUT", headers: { "Content-Type": "application/json" }, body: body });
      notice = "";
      showReview(item.key, saved);
      if (decision && matches(item)) current += 1; // a decided item that leaves the filtered queue makes room itself
    } catch (error) {
      notice = "未保存 " + item.code + " · " + (item.cells.level3 || item.cells.target_value) + "：" + error.message;
      if (error.status === 409) showReview(item.key, error.body.current || {});
    }
    render();
    if (notice && shown[current] === item) $("comment").value = comment || ""; // what was typed is not lost
  }

  function showReview(key, review) {
    items.filter((i) => i.key === key).forEach((i) => {
      i.decision = review.decision || null; i.comment = review.comment || ""; i.decided_at = review.decided_at || "";
    });
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || /^(TEXTAREA|INPUT|SELECT)$/.test(event.target.tagName)) return;
    const item = shown[current];
    if (event.key === "j" || event.key === "k") { current += event.key === "j" ? 1 : -1; render(); }
    else if (item && (event.key === "a" || event.key === "r")) decide(item, event.key === "a" ? "accept" : "reject", $("comment").value);
    else if (item && event.key === "c") { event.preventDefault(); $("comment").focus(); }
  });

  FILTERS.forEach((name) => $("f-" + name).addEventListener("change", () => { current = 0; render(); }));
  // The reviewer's name goes with each decision (a refused save says whose decision it met); kept in this browser.
  $("reviewer").value = localStorage.getItem("iqc-reviewer") || "";
  $("reviewer").addEventListener("change", () => localStorage.setItem("iqc-reviewer", $("reviewer").value.trim()));
  $("batch").addEventListener("change", () => openBatch($("batch").value));
  $("upload").addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = $("upload-file").files[0];
    if (!file) return;
    const form = new FormData();
    form.append("file", file);
    $("upload-status").textContent = "评分中…";
    try {
      const made = await call("review/api/batches", { method: "POST", body: form });
      $("batch").prepend(el("option", { value: made.id, textContent: made.name }));
      $("batch").value = made.id;
      $("upload-status").textContent = made.rows + " 行，" + made.findings + " 个问题";
      await openBatch(made.id);
    } catch (error) {
      $("upload-status").textContent = "无法读取：" + error.message;
    }
  });
  openBatch($("batch").value);
})();
