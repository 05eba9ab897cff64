// Quire admin pages: sends forms marked data-api with fetch (with the session's CSRF token in X-CSRF-Token) and
// shows the result, and keeps the completion dashboard fresh. No framework, no build step.
(() => {
  'use strict';
  const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
  const XLS = 'application/vnd.ms-excel';
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? '';

  const show = (out, message, errors, ok) => {
    if (!out) return;
    out.className = ok ? 'result ok' : 'result error';
    out.replaceChildren(document.createTextNode(message));
    if (errors.length) {
      const list = document.createElement('ul');
      for (const e of errors) {
        const item = document.createElement('li');
        const cell = e.sheet !== undefined
          ? [`sheet ${e.sheet}`, e.row != null ? `row ${e.row}` : '', e.column ? `column ${e.column}` : ''].filter(Boolean).join(', ')
          : '';
        const where = e.line !== undefined ? `line ${e.line}` : cell || (e.path ?? '');
        item.textContent = where ? `${where}: ${e.message}` : e.message;
        list.append(item);
      }
      out.append(list);
    }
  };

  for (const form of document.querySelectorAll('form[data-api]')) {
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const out = form.querySelector('.result');
      const button = form.querySelector('button');
      const file = form.querySelector('input[type=file]');
      const headers = { 'X-CSRF-Token': csrf, Accept: 'application/json' };
      let body;
      let action = form.action;
      if (file) {
        if (!file.files[0]) return;
        // The file as it is (a spreadsheet is binary), typed by its name where the browser does not know it.
        const chosen = file.files[0];
        body = chosen;
        headers['X-File-Name'] = encodeURIComponent(chosen.name);
        headers['Content-Type'] = /\.xlsx$/i.test(chosen.name) ? XLSX
          : /\.xls$/i.test(chosen.name) ? XLS : file.dataset.contentType;
        // Ticked boxes marked data-query go in the address (the body is the file).
        const query = new URLSearchParams();
        for (const box of form.querySelectorAll('input[data-query]')) if (box.checked) query.set(box.dataset.query, 'true');
        if ([...query].length) action += `?${query}`;
      } else if (form.querySelector('[name]')) {
        // A form of fields is sent as a JSON object: a ticked box is true, an empty field is left out. Boxes marked
        // data-many make a list of the values ticked (empty if none).
        const data = {};
        for (const el of form.querySelectorAll('[name]')) {
          if (el.type === 'checkbox' && 'many' in el.dataset) {
            data[el.name] ??= [];
            if (el.checked) data[el.name].push(el.value);
          } else if (el.type === 'checkbox') data[el.name] = el.checked;
          else if (el.value !== '') data[el.name] = el.type === 'number' ? Number(el.value) : el.value;
        }
        body = JSON.stringify(data);
        headers['Content-Type'] = 'application/json';
      }
      button.disabled = true;
      show(out, 'Working…', [], true);
      try {
        const res = await fetch(action, { method: 'POST', headers, body, credentials: 'same-origin' });
        const data = await res.json().catch(() => ({}));
        if (res.ok) {
          const warnings = data.warnings ?? [];
          show(out, data.message ?? 'Done.', warnings, true);
          if (data.secret && out) {
            // Shown once (a generated password): on a line of its own, easy to select.
            const secret = document.createElement('code');
            secret.className = 'secret';
            secret.textContent = data.secret;
            out.append(' ', secret);
          }
          if (warnings.length && data.redirect && out) {
            // Missing translations are worth reading: stay, with a link onwards.
            const link = document.createElement('a');
            link.href = data.redirect;
            link.textContent = 'Continue to the survey';
            out.append(link);
          } else if (data.redirect) setTimeout(() => { location.href = data.redirect; }, out ? 700 : 0);
          else if (data.reload) setTimeout(() => location.reload(), 700);
        } else if (res.status === 401) {
          location.href = '/admin/login';
        } else {
          show(out, data.error?.message ?? `The server answered ${res.status}.`, data.errors ?? [], false);
        }
      } catch {
        show(out, 'The server could not be reached; try again.', [], false);
      } finally {
        button.disabled = false;
      }
    });
  }

  const dash = document.getElementById('dashboard');
  if (!dash) return;
  const tbody = dash.querySelector('tbody');
  const summary = dash.querySelector('.summary');
  const updated = dash.querySelector('.updated');
  // Lowest completion first: the schools and classes to chase.
  let sort = { key: 'rate', dir: 1 };
  let rows = [];
  const pct = (r) => `${(r * 100).toFixed(1)}%`;
  const when = (t) => (t ? new Date(t).toLocaleString() : '—');

  const render = () => {
    const k = sort.key;
    const sorted = [...rows].sort((a, b) => {
      const x = a[k] ?? '', y = b[k] ?? '';
      return (x < y ? -1 : x > y ? 1 : a.name.localeCompare(b.name)) * sort.dir;
    });
    tbody.replaceChildren(...sorted.map((r) => {
      const tr = document.createElement('tr');
      const name = document.createElement('td');
      if (dash.dataset.drill) {
        const a = document.createElement('a');
        a.href = dash.dataset.drill + encodeURIComponent(r.name);
        a.textContent = r.name;
        name.append(a);
      } else {
        name.textContent = r.name;
      }
      const cells = [r.total, r.not_started, r.in_progress, r.completed].map((n) => {
        const td = document.createElement('td');
        td.className = 'num';
        td.textContent = n.toLocaleString();
        return td;
      });
      const rate = document.createElement('td');
      rate.className = 'rate';
      const bar = document.createElement('span');
      bar.className = 'bar';
      bar.setAttribute('aria-hidden', 'true');
      const fill = document.createElement('span');
      fill.style.width = pct(r.rate);
      bar.append(fill);
      rate.append(bar, document.createTextNode(` ${pct(r.rate)}`));
      const last = document.createElement('td');
      last.textContent = when(r.last_activity);
      tr.append(name, ...cells, rate, last);
      if (dash.dataset.people) {
        const td = document.createElement('td');
        const a = document.createElement('a');
        a.href = dash.dataset.people + encodeURIComponent(r.name);
        // Seen as "People", heard as "People of 3A".
        const hidden = document.createElement('span');
        hidden.className = 'visually-hidden';
        hidden.textContent = ` of ${r.name}`;
        a.append('People', hidden);
        td.append(a);
        tr.append(td);
      }
      return tr;
    }));
    for (const b of dash.querySelectorAll('button[data-sort]')) {
      const th = b.closest('th');
      if (b.dataset.sort === k) th.setAttribute('aria-sort', sort.dir > 0 ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    }
  };

  const refresh = async () => {
    try {
      const res = await fetch(dash.dataset.url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
      if (res.status === 401) { location.href = '/admin/login'; return; }
      if (!res.ok) throw new Error(String(res.status));
      const data = await res.json();
      rows = data.rows;
      const t = data.totals;
      summary.textContent = `${t.completed.toLocaleString()} of ${t.total.toLocaleString()} completed (${pct(t.rate)}), `
        + `${t.in_progress.toLocaleString()} in progress, ${t.not_started.toLocaleString()} not started.`;
      // Figures read from a replica say so, and how far behind the primary it was.
      const lag = data.replica_lag_seconds;
      const source = lag == null ? ''
        : lag < 1 ? ' Read from a replica, up to date.'
        : ` Read from a replica ${Math.round(lag)} s behind the primary: the last ${Math.round(lag)} s are missing.`;
      updated.textContent = `Updated ${new Date().toLocaleTimeString()}.${source}`;
      render();
    } catch {
      updated.textContent = 'Could not refresh; trying again.';
    }
  };

  for (const b of dash.querySelectorAll('button[data-sort]')) {
    b.addEventListener('click', () => {
      sort = { key: b.dataset.sort, dir: sort.key === b.dataset.sort ? -sort.dir : 1 };
      render();
    });
  }
  refresh();
  setInterval(refresh, 5000);
})();
