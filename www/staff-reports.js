/* staff-reports.js -- the "Reports" view of the staff page, for
 * supervisors, finance and admins: GET /api/v1/reports/refunds with a date
 * range and a grouping, the table, a bar chart of one chosen measure drawn
 * here as inline SVG (no library, no external resource; the page's CSP
 * allows nothing else), and the same rows as a CSV download. The chart is
 * an image with a text alternative; the table is the data. */
'use strict';

(() => {
  const { t, tc, $, api, h } = RD;

  RD.add({
    'rep.title': ['退款报表', 'Refund reports'],
    'rep.from': ['起始日期', 'From'],
    'rep.to': ['截止日期', 'To'],
    'rep.group': ['分组', 'Group by'],
    'rep.show': ['生成报表', 'Show report'],
    'rep.csv': ['下载 CSV', 'Download CSV'],
    'rep.measure': ['图表指标', 'Chart measure'],
    'rep.empty': ['该时间段内没有退款申请。', 'No refund requests in this range.'],
    'rep.caption': ['{group}：{from} 至 {to}', '{group}: {from} to {to}'],
    'rep.chart.label': ['条形图：按{group}的{measure}', 'Bar chart: {measure} by {group}'],
    'rep.none': ['（未分配）', '(unassigned)'],
    'rep.g.reason_code': ['退款原因', 'reason'],
    'rep.g.product_type': ['产品类型', 'product type'],
    'rep.g.provider': ['服务商', 'provider'],
    'rep.g.policy_version': ['政策版本', 'rule version'],
    'rep.g.assignee': ['处理人', 'reviewer'],
    'rep.g.week': ['周', 'week'],
    'rep.g.month': ['月', 'month'],
    'rep.c.key': ['分组', 'Group'],
    'rep.c.currency': ['币种', 'Currency'],
    'rep.c.submitted': ['提交', 'Submitted'],
    'rep.c.approved': ['批准', 'Approved'],
    'rep.c.rejected': ['拒绝', 'Rejected'],
    'rep.c.withdrawn': ['撤回', 'Withdrawn'],
    'rep.c.paid': ['已打款', 'Paid'],
    'rep.c.amount_requested': ['申请金额', 'Requested'],
    'rep.c.amount_approved': ['批准金额', 'Approved amount'],
    'rep.c.amount_paid': ['打款金额', 'Paid amount'],
    'rep.c.approval_rate': ['批准率', 'Approval rate'],
    'rep.c.first_decision_hours_p50': ['首次决定用时中位数（工作小时）', 'First decision, median (business hours)'],
    'rep.c.first_decision_hours_p90': ['首次决定用时 P90（工作小时）', 'First decision, p90 (business hours)'],
    'rep.c.within_sla_share': ['按时处理比例', 'Decided within SLA'],
  });

  const GROUPS = ['reason_code', 'product_type', 'provider', 'policy_version', 'assignee', 'week', 'month'];
  const COLS = ['submitted', 'approved', 'rejected', 'withdrawn', 'paid', 'amount_requested', 'amount_approved',
    'amount_paid', 'approval_rate', 'first_decision_hours_p50', 'first_decision_hours_p90', 'within_sla_share'];
  const MEASURES = ['submitted', 'approval_rate', 'amount_approved', 'within_sla_share', 'first_decision_hours_p50'];
  const SVG = 'http://www.w3.org/2000/svg';
  const section = $('#reports-section');
  const alertBox = h('div.msg', { role: 'alert', 'aria-live': 'assertive', hidden: true });
  const alert = RD.messenger(alertBox);
  const state = { report: null, built: false, seq: 0, chartWidth: 0 };

  /* ---------- cells ---------- */

  function keyText(group, key) {
    if (key === null || key === undefined || key === '') return t('rep.none');
    if (group === 'product_type') return tc('ptype', key);
    if (group === 'reason_code') return tc('creason', key);
    if (group === 'provider') return tc('provider', key);
    return String(key);
  }
  /* Amounts in the row's own currency: a row is a key and a currency. */
  function cell(col, v, currency) {
    if (v === null || v === undefined) return '—';
    if (col.startsWith('amount_')) return RD.formatMoney(v, currency);
    if (col === 'approval_rate' || col === 'within_sla_share') return `${(Number(v) * 100).toFixed(1)}%`;
    if (col.startsWith('first_decision')) return Number(v).toFixed(1);
    return String(v);
  }

  /* ---------- the chart: horizontal bars, one a group ---------- */

  function svg(tag, attrs, ...children) {
    const el = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
    for (const c of children) el.append(c);
    return el;
  }

  /* Drawn at the width of its box in CSS pixels (one unit, one pixel), so
   * its text keeps the page's size on a phone as on a desktop: a drawing
   * 600 units wide scaled down to a 375 px screen shrank 13 px labels to
   * 7 px. Each bar under its label, so long labels fit a narrow screen.
   * The bars' lengths wait for fitChart, which can measure the values. */
  const ROW = 44, LABEL = 14, BAR = 16, PAD = 4;
  function chart(report, measure, W) {
    const rows = report.items;
    const height = PAD * 2 + rows.length * ROW;
    const label = t('rep.chart.label', { group: t(`rep.g.${report.group}`), measure: t(`rep.c.${measure}`) });
    /* a key in two currencies has two bars: name the currency then */
    const mixed = new Set(rows.map((r) => r.currency)).size > 1;
    const root = svg('svg', { viewBox: `0 0 ${W} ${height}`, width: W, height, role: 'img',
      'aria-labelledby': 'rep-chart-title', class: 'bar-chart', preserveAspectRatio: 'xMinYMin meet',
      'data-measure': measure });
    root.append(svg('title', { id: 'rep-chart-title' }, label));
    rows.forEach((r, i) => {
      const y = PAD + i * ROW;
      root.append(svg('g', { class: 'bar', 'data-key': r.key ?? '', 'data-currency': r.currency,
        'data-value': Number(r[measure] ?? 0) },
      svg('text', { x: 0, y: y + LABEL, class: 'bar-label' }, keyText(report.group, r.key) + (mixed ? ` · ${r.currency}` : '')),
      svg('rect', { x: 0, y: y + LABEL + 5, width: 1, height: BAR, rx: 2, class: 'bar-rect' }),
      svg('text', { x: 7, y: y + LABEL + 5 + BAR - 4, class: 'bar-value' }, cell(measure, r[measure], r.currency))));
    });
    return root;
  }

  /* In the page, where text has a length: the longest bar leaves room for
   * the widest value beside it, and a label wider than the box is cut
   * with "…" (the table below has it whole). */
  function fitChart(root, W) {
    const bars = [...root.querySelectorAll('g.bar')];
    const values = bars.map((g) => Number(g.dataset.value) || 0);
    const max = Math.max(...values, 0) || 1;
    const room = Math.max(0, ...bars.map((g) => g.querySelector('.bar-value').getComputedTextLength())) + 8;
    const span = Math.max(W - room, W / 3);
    bars.forEach((g, i) => {
      const w = Math.max(1, Math.round((values[i] / max) * span));
      g.querySelector('.bar-rect').setAttribute('width', w);
      g.querySelector('.bar-value').setAttribute('x', w + 6);
      const text = g.querySelector('.bar-label');
      const whole = text.textContent;
      for (let n = whole.length - 1; n > 0 && text.getComputedTextLength() > W; n--) text.textContent = `${whole.slice(0, n)}…`;
    });
  }

  /* The figure's width, whole pixels; the chart is drawn again when it
   * changes (a phone turned, a window resized). */
  const chartWidth = (fig) => Math.max(200, Math.floor(fig.clientWidth));
  function drawChart(fig) {
    const W = chartWidth(fig);
    const root = chart(state.report, $('#rep-measure').value, W);
    fig.replaceChildren(root);
    fitChart(root, W);
    state.chartWidth = W;
  }
  const resized = new ResizeObserver(() => {
    const fig = $('#report-result figure.chart');
    if (fig && state.report && chartWidth(fig) !== state.chartWidth) drawChart(fig);
  });

  /* ---------- table ---------- */

  function table(report) {
    /* the days picked (in the reseller's zone), not the instants sent */
    const days = RD.formatDays(report.from, report.to);
    const cap = t('rep.caption', { group: t(`rep.g.${report.group}`), from: days.from, to: days.to });
    /* focusable: a table wider than the screen scrolls by keyboard too */
    return h('div.table-wrap', { tabindex: '0', role: 'region', 'aria-label': cap }, h('table.list.report-table#report-table',
      h('caption', cap),
      h('thead', h('tr', h('th', { scope: 'col' }, t('rep.c.key')), h('th', { scope: 'col' }, t('rep.c.currency')),
        COLS.map((c) => h('th.num', { scope: 'col' }, t(`rep.c.${c}`))))),
      h('tbody', report.items.map((r) => h('tr', { dataset: { key: r.key ?? '', currency: r.currency } },
        h('th', { scope: 'row', 'data-label': t('rep.c.key') }, keyText(report.group, r.key)),
        h('td', { dataset: { col: 'currency', label: t('rep.c.currency') } }, r.currency),
        COLS.map((c) => h('td.num', { dataset: { col: c, label: t(`rep.c.${c}`) } }, cell(c, r[c], r.currency))))))));
  }

  /* ---------- the form ---------- */

  /* The picked days are days in the reseller's time zone (RD.config):
   * from its midnight on From to its midnight after To. */
  function query() {
    const f = $('#report-form');
    const p = new URLSearchParams({ group: f.elements.group.value });
    const r = RD.dayRange(f.elements.from.value, f.elements.to.value);
    if (r.from) p.set('from', r.from);
    if (r.to) p.set('to', r.to);
    return `/api/v1/reports/refunds?${p}`;
  }

  /* after a refusal: a bad range marks the dates, else the message takes focus */
  function showError(e) {
    alert.error(e);
    if (e.code === 'invalid_range' && $('#rep-from')) {
      for (const id of ['#rep-from', '#rep-to']) {
        const el = $(id);
        el.setAttribute('aria-invalid', 'true');
        el.addEventListener('change', () => { $('#rep-from').removeAttribute('aria-invalid'); $('#rep-to').removeAttribute('aria-invalid'); }, { once: true });
      }
      $('#rep-from').focus();
    } else alert.focus();
  }

  async function load(button) {
    const my = ++state.seq;
    alert.clear();
    await RD.busy(button, async () => {
      try {
        const r = await api('GET', query());
        if (my !== state.seq) return;
        state.report = r;
      } catch (e) { if (e.status !== 401) showError(e); return; }
      paintResult();
    });
  }

  async function download(button) {
    alert.clear();
    await RD.busy(button, async () => {
      try {
        const blob = await api('GET', query(), { accept: 'text/csv', blob: true });
        const url = URL.createObjectURL(blob);
        const a = h('a', { href: url, download: `refunds-${$('#report-form').elements.group.value}.csv`, hidden: true });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10000);
      } catch (e) { if (e.status !== 401) showError(e); }
    });
  }

  function build() {
    RD.clear(section);
    RD.append(section, [
      h('div.section-head', h('h2#reports-h', t('rep.title'))),
      alertBox,
      h('form#report-form.filters', { novalidate: true, onsubmit: (ev) => { ev.preventDefault(); load(ev.submitter); } },
        h('div.field', h('label', { for: 'rep-from' }, t('rep.from')),
          h('input#rep-from', { type: 'date', name: 'from', value: RD.zoneToday(89) })),
        h('div.field', h('label', { for: 'rep-to' }, t('rep.to')),
          h('input#rep-to', { type: 'date', name: 'to', value: RD.zoneToday() })),
        h('div.field', h('label', { for: 'rep-group' }, t('rep.group')),
          h('select#rep-group', { name: 'group' }, GROUPS.map((g) => h('option', { value: g }, t(`rep.g.${g}`))))),
        h('div.field', h('label', { for: 'rep-measure' }, t('rep.measure')),
          h('select#rep-measure', { name: 'measure', onchange: paintResult },
            MEASURES.map((m) => h('option', { value: m }, t(`rep.c.${m}`))))),
        h('button.primary#rep-show', { type: 'submit' }, t('rep.show')),
        h('button.secondary#rep-csv', { type: 'button', onclick: (ev) => download(ev.currentTarget) }, t('rep.csv'))),
      h('div#report-result', { 'aria-live': 'polite' }),
    ]);
    state.built = true;
  }

  function paintResult() {
    const box = $('#report-result');
    if (!box) return;
    RD.clear(box);
    const r = state.report;
    if (!r) return;
    if (r.items.length === 0) { box.append(h('p.muted.report-empty', t('rep.empty'))); return; }
    const fig = h('figure.chart');
    box.append(fig, table(r));
    drawChart(fig);
    resized.disconnect();
    resized.observe(fig);
  }

  /* staff.js signs views in and out (RD.staffViews). */
  const view = {
    signIn(me) {
      section.hidden = !['supervisor', 'finance', 'admin'].includes(me.role);
      if (section.hidden) return;
      build();
      load();
    },
    signOut() {
      section.hidden = true;
      state.report = null;
      state.built = false;
      RD.clear(section);
    },
  };
  RD.staffViews = RD.staffViews || [];
  RD.staffViews.push(view);
  if (RD.staffMe) view.signIn(RD.staffMe);
  /* A language switch relabels the form (keeping its values) and the result. */
  RD.onLang(() => {
    if (section.hidden || !state.built) return;
    const f = $('#report-form');
    const kept = f ? [...f.elements].filter((el) => el.name).map((el) => [el.name, el.value]) : [];
    build();
    for (const [name, v] of kept) $('#report-form').elements[name].value = v;
    paintResult();
  });
})();
