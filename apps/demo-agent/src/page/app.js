// The demo page: polls the API every second and shows tasks by status. Plain DOM, no build step;
// every piece of task data is set with textContent, never parsed as HTML.

const STATUSES = ['pending', 'running', 'paused', 'completed', 'failed', 'cancelled'];
/** Without live updates (the event stream down), the page polls this often. */
const POLL_MS = 1000;
/** With live updates, a slow poll only keeps the health line fresh. */
const SLOW_POLL_MS = 30_000;

const board = document.getElementById('board');
const health = document.getElementById('health');
const message = document.getElementById('message');
const form = document.getElementById('submit');
const queryInput = document.getElementById('query');

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === 'text') node.textContent = value;
    else if (key === 'className') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const e = data?.error || { message: response.statusText };
    throw new Error(e.field ? `${e.message} (field: ${e.field})` : e.message);
  }
  return data;
}

function say(text) {
  message.textContent = text || '';
}

async function act(button, method, path, body) {
  button.disabled = true;
  try {
    await api(method, path, body);
    say('');
    await refresh();
  } catch (error) {
    say(error.message);
    button.disabled = false;
  }
}

function shortTime(iso) {
  return iso ? new Date(iso).toLocaleTimeString() : '';
}

function renderItem(item) {
  const c = item.content || {};
  const text = typeof c.text === 'string' ? c.text : JSON.stringify(c);
  return el('li', {}, el('span', { className: 'role', text: item.role }), document.createTextNode(text));
}

function renderSteps(task) {
  const bar = el('div', {
    className: 'steps',
    title: 'steps: green = committed, blue = running, orange = waiting for approval',
  });
  for (const step of task.plan) {
    let cls = '';
    if (step.commits > 0) cls = task.status === 'failed' && step.step === task.nextStep - 1 ? 'bad' : 'done';
    else if (step.step === task.nextStep && task.status === 'running') cls = 'current';
    else if (step.step === task.nextStep && task.status === 'paused') cls = 'waiting';
    bar.append(
      el('span', {
        className: cls,
        title: `${step.step + 1}. ${step.description} (commits: ${step.commits})`,
      }),
    );
  }
  return bar;
}

function renderTask(task) {
  const stepText = task.plan.length
    ? ` · step ${Math.min(task.nextStep + 1, task.plan.length)}/${task.plan.length}`
    : '';
  const owner = task.owner ? ` · ${task.owner}` : '';
  const card = el(
    'article',
    { className: 'task', 'data-task-id': task.taskId, 'data-status': task.status },
    el('div', { className: 'query', text: task.query || task.taskId }),
    el('div', {
      className: 'meta',
      text: `${task.taskId} · v${task.version}${stepText}${owner} · ${shortTime(task.updatedAt)}`,
    }),
    renderSteps(task),
  );
  const list = el('ol', { className: 'items' });
  for (const item of task.items) list.append(renderItem(item));
  card.append(list);

  if (task.status === 'paused' && task.requestId) {
    const requested = [...task.items]
      .reverse()
      .find((i) => i.content && i.content.type === 'approval-requested');
    const box = el(
      'div',
      { className: 'approval' },
      el('div', { text: requested ? requested.content.text : 'approval needed' }),
    );
    const rid = encodeURIComponent(task.requestId);
    box.append(
      el(
        'div',
        { className: 'actions' },
        el('button', {
          className: 'approve',
          type: 'button',
          'data-action': 'approve',
          'data-request-id': task.requestId,
          text: 'Approve',
          onclick: (e) => act(e.currentTarget, 'POST', `/requests/${rid}/approve`, { by: 'page' }),
        }),
        el('button', {
          className: 'reject',
          type: 'button',
          'data-action': 'reject',
          'data-request-id': task.requestId,
          text: 'Reject',
          onclick: (e) => act(e.currentTarget, 'POST', `/requests/${rid}/reject`, { by: 'page' }),
        }),
      ),
    );
    card.append(box);
  }
  if (task.answer) card.append(el('div', { className: 'answer', text: task.answer }));
  if (task.error) card.append(el('div', { className: 'answer error', text: task.error }));

  const id = encodeURIComponent(task.taskId);
  const actions = el('div', { className: 'actions' });
  if (['pending', 'running', 'paused'].includes(task.status)) {
    actions.append(
      el('button', {
        type: 'button',
        'data-action': 'cancel',
        text: 'Cancel',
        onclick: (e) => act(e.currentTarget, 'POST', `/tasks/${id}/cancel`, { by: 'page' }),
      }),
    );
  } else {
    actions.append(
      el('button', {
        type: 'button',
        'data-action': 'delete',
        text: 'Delete',
        onclick: (e) => act(e.currentTarget, 'DELETE', `/tasks/${id}`),
      }),
    );
  }
  card.append(actions);
  return card;
}

function render(tasks) {
  const sections = [];
  for (const status of STATUSES) {
    const mine = tasks.filter((t) => t.status === status);
    const section = el(
      'section',
      { className: 'status', 'data-status': status },
      el('h2', { text: `${status} ` }, el('span', { className: 'count', text: `(${mine.length})` })),
    );
    if (mine.length === 0) section.append(el('div', { className: 'empty', text: 'none' }));
    for (const task of mine) section.append(renderTask(task));
    sections.push(section);
  }
  board.replaceChildren(...sections);
}

/** The retention policy and what the last sweep removed, from /healthz. */
function retentionText(retention) {
  if (!retention) return '';
  const last = retention.lastSweep;
  const sweep = last
    ? `last sweep ${new Date(last.at).toLocaleTimeString()} removed ${last.removed}`
    : 'no sweep yet';
  return ` · retention ${retention.policy} · ${sweep}`;
}

let refreshing = false;
async function refresh() {
  if (refreshing) return;
  refreshing = true;
  try {
    const [page, h] = await Promise.all([
      api('GET', '/tasks?limit=200'),
      fetch('/healthz').then((r) => r.json()),
    ]);
    render(page.tasks);
    health.className = h.ok ? '' : 'bad';
    health.textContent = h.ok
      ? `${h.backend} store · ${h.latencyMs} ms · ${h.activeTasks ?? '?'} active · ${h.workers.length} worker(s) here${retentionText(h.retention)}`
      : `store not ok: ${h.detail || h.error?.message || 'unknown'}`;
  } catch (error) {
    health.className = 'bad';
    health.textContent = `cannot reach the service: ${error.message}`;
  } finally {
    refreshing = false;
  }
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const query = queryInput.value.trim();
  if (!query) return say('type a request first');
  try {
    await api('POST', '/tasks', { query });
    queryInput.value = '';
    say('');
    await refresh();
  } catch (error) {
    say(error.message);
  }
});

for (const button of document.querySelectorAll('#examples button')) {
  button.addEventListener('click', () => {
    queryInput.value = button.textContent;
    queryInput.focus();
  });
}

// Live updates: the server streams the store's changes (GET /events); each one refreshes the
// board (at most every 100 ms). While the stream is down the page polls every second.
let live = false;
let pending = null;
function refreshSoon() {
  if (pending !== null) return;
  pending = setTimeout(() => {
    pending = null;
    refresh();
  }, 100);
}
const events = new EventSource('/events');
events.addEventListener('ready', () => {
  live = true;
  refreshSoon();
});
events.addEventListener('change', refreshSoon);
events.addEventListener('error', () => {
  live = false;
});
let lastPoll = 0;
setInterval(() => {
  const now = Date.now();
  if (now - lastPoll >= (live ? SLOW_POLL_MS : POLL_MS)) {
    lastPoll = now;
    refresh();
  }
}, POLL_MS);
refresh();
