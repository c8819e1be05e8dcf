// The run's page: plain JavaScript, no build step. Reads the JSON API of web/server.py.
// Boards are strings of N*N characters (X black, O white, . empty), row 0 at the top;
// moves are flat indices row * N + column, pass = N * N. Values are for the player to move.
"use strict";

const LETTERS = "ABCDEFGHJKLMNOPQRST";
const $ = (id) => document.getElementById(id);

function gtp(move, size) {
  if (move === null || move === undefined) return "resign";
  if (move === size * size) return "pass";
  return LETTERS[move % size] + (size - Math.floor(move / size));
}

async function getJSON(url) {
  const r = await fetch(url, { cache: "no-store" });
  const data = await r.json();
  if (!r.ok) throw new Error(data.error || r.statusText);
  return data;
}

async function postJSON(url, body) {
  const r = await fetch(url, { method: "POST", body: JSON.stringify(body),
                               headers: { "Content-Type": "application/json" } });
  const data = await r.json();
  if (!r.ok) throw new Error(data.error || r.statusText);
  return data;
}

// ------------------------------------------------------------------ boards
function geometry(canvas, size) {
  // the grid's first line is 0.75 steps from the edge: room for the labels and the stones
  const step = canvas.width / (size + 0.5);
  return { margin: 0.75 * step, step };
}

function drawBoard(canvas, size, board, opts = {}) {
  const ctx = canvas.getContext("2d");
  const { margin, step } = geometry(canvas, size);
  ctx.fillStyle = "#dcb35c";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.strokeStyle = "#333";
  ctx.lineWidth = 1;
  ctx.fillStyle = "#333";
  ctx.font = "11px sans-serif";
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  for (let i = 0; i < size; i++) {
    const p = margin + i * step;
    ctx.beginPath(); ctx.moveTo(margin, p); ctx.lineTo(margin + (size - 1) * step, p); ctx.stroke();
    ctx.beginPath(); ctx.moveTo(p, margin); ctx.lineTo(p, margin + (size - 1) * step); ctx.stroke();
    ctx.fillText(LETTERS[i], p, margin * 0.3);
    ctx.fillText(String(size - i), margin * 0.3, p);
  }
  const heat = opts.policy;
  let stones = 0;
  for (let m = 0; m < size * size; m++) {
    const x = margin + (m % size) * step, y = margin + Math.floor(m / size) * step;
    const c = board ? board[m] : ".";
    if (c === "X" || c === "O") {
      stones++;
      ctx.beginPath(); ctx.arc(x, y, step * 0.46, 0, 2 * Math.PI);
      ctx.fillStyle = c === "X" ? "#111" : "#f8f8f8"; ctx.fill();
      ctx.strokeStyle = "#111"; ctx.stroke();
    } else if (heat && heat[m] > 0.005) {
      ctx.beginPath(); ctx.arc(x, y, step * 0.42 * Math.sqrt(heat[m] / opts.policyMax), 0, 2 * Math.PI);
      ctx.fillStyle = "rgba(40, 90, 200, 0.6)"; ctx.fill();
      if (heat[m] >= 0.05) {
        ctx.fillStyle = "#fff"; ctx.fillText(Math.round(100 * heat[m]), x, y);
      }
    }
    if (opts.last === m && (c === "X" || c === "O")) {
      ctx.beginPath(); ctx.arc(x, y, step * 0.15, 0, 2 * Math.PI);
      ctx.fillStyle = "#d22"; ctx.fill();
    }
  }
  canvas.dataset.size = size;
  canvas.dataset.stones = stones;
}

function pointAt(canvas, size, event) {
  const rect = canvas.getBoundingClientRect();
  const x = (event.clientX - rect.left) * canvas.width / rect.width;
  const y = (event.clientY - rect.top) * canvas.height / rect.height;
  const { margin, step } = geometry(canvas, size);
  const col = Math.round((x - margin) / step), row = Math.round((y - margin) / step);
  if (col < 0 || row < 0 || col >= size || row >= size) return null;
  return row * size + col;
}

// ------------------------------------------------------------------ plots
function plot(canvas, series, yLabel) {
  const ctx = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height, L = 48, R = 10, T = 10, B = 30;
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, W, H);
  const pts = series.flatMap((s) => s.points);
  canvas.dataset.points = pts.length;
  ctx.fillStyle = "#555"; ctx.font = "11px sans-serif";
  if (!pts.length) {
    ctx.textAlign = "center"; ctx.fillText("no data yet", W / 2, H / 2);
    return;
  }
  let x0 = Math.min(...pts.map((p) => p[0])), x1 = Math.max(...pts.map((p) => p[0]));
  let y0 = Math.min(...pts.map((p) => p[1])), y1 = Math.max(...pts.map((p) => p[1]));
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) { y0 -= 1; y1 += 1; }
  const sx = (x) => L + (x - x0) / (x1 - x0) * (W - L - R);
  const sy = (y) => H - B - (y - y0) / (y1 - y0) * (H - T - B);
  ctx.strokeStyle = "#999"; ctx.beginPath();
  ctx.moveTo(L, T); ctx.lineTo(L, H - B); ctx.lineTo(W - R, H - B); ctx.stroke();
  ctx.textAlign = "right"; ctx.textBaseline = "middle";
  for (const y of [y0, (y0 + y1) / 2, y1]) ctx.fillText(y.toPrecision(3), L - 4, sy(y));
  ctx.textAlign = "center"; ctx.textBaseline = "top";
  for (const x of [x0, (x0 + x1) / 2, x1]) ctx.fillText(x.toFixed(1), sx(x), H - B + 4);
  ctx.fillText("minutes since the run started", (L + W - R) / 2, H - 13);
  ctx.save(); ctx.translate(10, (T + H - B) / 2); ctx.rotate(-Math.PI / 2);
  ctx.fillText(yLabel, 0, -6); ctx.restore();
  let legendY = T + 4;
  for (const s of series) {
    if (!s.points.length) continue;
    ctx.strokeStyle = s.color; ctx.fillStyle = s.color; ctx.lineWidth = 1.5;
    if (s.line !== false) {
      ctx.beginPath();
      s.points.forEach((p, i) => (i ? ctx.lineTo(sx(p[0]), sy(p[1])) : ctx.moveTo(sx(p[0]), sy(p[1]))));
      ctx.stroke();
    }
    if (s.dots) for (const p of s.points) { ctx.beginPath(); ctx.arc(sx(p[0]), sy(p[1]), 3, 0, 7); ctx.fill(); }
    ctx.textAlign = "right"; ctx.textBaseline = "top";
    const w = ctx.measureText(s.name).width;
    ctx.fillStyle = "rgba(255, 255, 255, 0.85)"; ctx.fillRect(W - R - 6 - w, legendY - 1, w + 4, 13);
    ctx.fillStyle = s.color; ctx.fillText(s.name, W - R - 4, legendY);
    legendY += 13;
  }
  ctx.lineWidth = 1;
}

// ------------------------------------------------------------------ the run
const state = { run: null, size: 9, started: null };

function minutes(t) { return (t - state.started) / 60; }

async function refreshRun() {
  try {
    const run = await getJSON("/api/run");
    state.run = run;
    $("run-name").textContent = run.name || "";
    if (run.board_size) state.size = run.board_size;
    if (!run.ready) { $("counters").textContent = run.waiting || "waiting for the run"; return; }
    state.started = run.started;
    $("counters").textContent =
      `${run.board_size}x${run.board_size}, komi ${run.komi}, network ${run.network} | ` +
      `games ${run.games} | positions ${run.positions} | learner steps ${run.learner_steps} | ` +
      `gates ${run.generation} | best ${run.best} (v${run.best_version}, gate Elo sum ${(run.gate_elo_sum ?? 0).toFixed(0)})` +
      (run.running ? " | training" : " | stopped");
    // the best's Elo holds until the next promotion: a step line
    const elo = run.elo.flatMap((p, i) => {
      const at = [minutes(p.time), p.elo];
      return i ? [[at[0], run.elo[i - 1].elo], at] : [at];
    });
    const cands = run.gates.filter((g) => g.time && g.elo_scale !== null)
      .map((g) => [minutes(g.time), g.elo_scale]);
    plot($("elo-plot"), [{ name: "best", color: "#2a7a2a", points: elo },
                         { name: "candidates", color: "#c07020", points: cands, dots: true, line: false }], "Elo");
    const body = $("gates").querySelector("tbody");
    body.innerHTML = "";
    for (const g of [...run.gates].reverse()) {
      const tr = document.createElement("tr");
      if (g.promoted) tr.className = "promoted";
      const when = g.time ? new Date(g.time * 1000).toLocaleTimeString() : "";
      const elo = g.elo === null ? "" : `${g.elo.toFixed(0)} [${(g.elo_low ?? 0).toFixed(0)}, ${(g.elo_high ?? 0).toFixed(0)}]`;
      // a candidate promoted without a match (gate_games = 0) has played no games
      const score = g.games === 0 ? "no match" : `${g.wins}-${g.losses}-${g.draws}`;
      for (const text of [g.generation, g.candidate, score,
                          g.win_rate === null ? "" : `${(100 * g.win_rate).toFixed(0)}%`, elo,
                          g.promoted ? "promoted" : "rejected", when]) {
        const td = document.createElement("td"); td.textContent = text; tr.appendChild(td);
      }
      body.appendChild(tr);
    }
  } catch (e) { $("counters").textContent = "cannot read the run: " + e.message; }
}

const LOSS_COLOURS = { "loss/total": "#222", "loss/policy": "#2050c0", "loss/value_mse": "#c03030",
                       "loss/heldout_policy": "#80a0e0", "loss/heldout_value_mse": "#e09090" };

async function refreshLosses() {
  if (state.started === null) return;
  try {
    const losses = await getJSON("/api/losses");
    const series = Object.entries(losses).map(([tag, pts]) => ({
      name: tag.replace("loss/", ""), color: LOSS_COLOURS[tag] || "#888",
      points: pts.map((p) => [minutes(p[0]), p[2]]) }));
    plot($("loss-plot"), series, "loss");
  } catch (e) { /* the next refresh tries again */ }
}

async function refreshLive() {
  try {
    const live = await getJSON("/api/live");
    const canvas = $("live-board");
    if (!live) { $("live-caption").textContent = "no game in progress"; return; }
    const n = live.moves.length;
    drawBoard(canvas, live.board_size, live.board, { last: n ? live.moves[n - 1] : null });
    canvas.dataset.moves = n;
    const stale = live.age > 30 ? ` (last move ${Math.round(live.age)} s ago)` : "";
    $("live-caption").textContent = `worker ${live.worker}, game ${live.game}: move ${n}` +
      (n ? `, ${gtp(live.moves[n - 1], live.board_size)}` : "") + stale;
  } catch (e) { $("live-caption").textContent = "cannot read the game in progress: " + e.message; }
}

// ------------------------------------------------------------------ replay
const replay = { game: null, at: 0 };

async function refreshGames() {
  try {
    const games = await getJSON("/api/games?limit=12");
    const ul = $("games");
    ul.innerHTML = "";
    for (const g of games) {
      const li = document.createElement("li");
      li.textContent = `#${g.id} ${g.result} (${g.moves})`;
      li.dataset.id = g.id;
      if (replay.game && replay.game.id === g.id) li.className = "chosen";
      li.onclick = () => openGame(g.id);
      ul.appendChild(li);
    }
    if (!replay.game && games.length) openGame(games[0].id);
  } catch (e) { $("replay-caption").textContent = "cannot list the games: " + e.message; }
}

async function openGame(id) {
  try {
    replay.game = await getJSON(`/api/games/${id}`);
    for (const li of $("games").children) li.className = Number(li.dataset.id) === id ? "chosen" : "";
    $("replay-slider").max = replay.game.moves.length;
    showReplay(replay.game.moves.length);
  } catch (e) { $("replay-caption").textContent = e.message; }
}

function showReplay(at) {
  const g = replay.game;
  if (!g) return;
  replay.at = Math.max(0, Math.min(at, g.moves.length));
  $("replay-slider").value = replay.at;
  const last = replay.at ? g.moves[replay.at - 1] : null;
  drawBoard($("replay-board"), g.board_size, g.boards[replay.at], { last });
  $("replay-caption").textContent = `game #${g.id}, ${g.result}: move ${replay.at} of ${g.moves.length}` +
    (last !== null ? ` (${gtp(last, g.board_size)})` : "");
}

$("replay-first").onclick = () => showReplay(0);
$("replay-prev").onclick = () => showReplay(replay.at - 1);
$("replay-next").onclick = () => showReplay(replay.at + 1);
$("replay-last").onclick = () => showReplay(Infinity);
$("replay-slider").oninput = (e) => showReplay(Number(e.target.value));

// ------------------------------------------------------------------ play
const game = { moves: [], board: null, over: false, busy: false, analysis: null };

function humanColour() { return Number($("play-colour").value); }
function toPlay() { return game.moves.length % 2 === 0 ? 1 : -1; }

function drawPlay() {
  const a = game.analysis;
  const opts = { last: game.moves.length ? game.moves[game.moves.length - 1] : null };
  if (a) { opts.policy = a.policy; opts.policyMax = Math.max(...a.policy.slice(0, -1), 1e-6); }
  drawBoard($("play-board"), state.size, game.board, opts);
  $("play-board").dataset.moves = game.moves.length;
}

function status(text, isError = false) {
  const el = $("play-status");
  el.textContent = text;
  el.className = isError ? "error" : "";
}

async function analyze() {
  game.analysis = null;
  $("play-analysis").textContent = "";
  if ($("play-analyze").checked && !game.over) {
    try {
      const a = await postJSON("/api/analyze", { moves: game.moves });
      game.analysis = a;
      const who = a.to_play === 1 ? "black" : "white";
      const pass = a.policy[a.policy.length - 1];
      $("play-analysis").textContent = `network: value ${a.value.toFixed(3)} for ${who} to move ` +
        `(winrate ${(50 * (a.value + 1)).toFixed(1)}%), pass ${(100 * pass).toFixed(1)}%`;
    } catch (e) { $("play-analysis").textContent = e.message; }
  }
  drawPlay();
}

async function send(moves) {
  // moves: the game with the person's new move (or none, when the network starts)
  game.busy = true;
  status("the network is thinking…");
  try {
    const r = await postJSON("/api/play", { moves, playouts: Number($("playouts").value) });
    game.moves = r.moves; game.board = r.board; game.over = r.over;
    const who = humanColour() === 1 ? "white" : "black";
    let text = `network (${who}) plays ${r.gtp}, value ${r.value.toFixed(3)} after ${r.visits} visits`;
    if (r.over) text += ` | game over: ${r.result}`;
    status(text);
  } catch (e) {
    status(e.message, true);
  } finally {
    game.busy = false;
    await analyze();
  }
}

function newGame() {
  game.moves = []; game.board = null; game.over = false; game.analysis = null;
  status("click a point to play");
  drawPlay();
  if (humanColour() === -1) send([]); else analyze();
}

$("play-board").addEventListener("click", (event) => {
  if (game.busy) return;
  if (game.over) { status("the game is over: start a new game", true); return; }
  if (toPlay() !== humanColour()) { status("wait for the network's move", true); return; }
  const move = pointAt($("play-board"), state.size, event);
  if (move === null) return;
  send([...game.moves, move]);
});
$("play-pass").onclick = () => {
  if (!game.busy && !game.over && toPlay() === humanColour()) send([...game.moves, state.size * state.size]);
};
$("play-new").onclick = newGame;
$("play-colour").onchange = newGame;
$("play-analyze").onchange = analyze;

// ------------------------------------------------------------------ start
async function start() {
  await refreshRun();
  drawPlay();
  drawBoard($("live-board"), state.size, null);
  drawBoard($("replay-board"), state.size, null);
  await Promise.all([refreshLosses(), refreshLive(), refreshGames()]);
  setInterval(refreshRun, 5000);
  setInterval(refreshLosses, 5000);
  setInterval(refreshLive, 1000);
  setInterval(refreshGames, 10000);
  document.body.dataset.ready = "1";
}
start();
