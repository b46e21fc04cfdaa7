/* staff.js -- the staff review queue: support and supervisors work the
 * queue (ordered by due date, overdue highlighted) and act on a request
 * (claim, ask for information, approve an amount, reject with a reason,
 * message); finance pays approved refunds and follows the payouts. The
 * approved amount is typed in major units ("123.45") and converted to
 * integer minor units by RD.parseMajor, exactly, never through a float. */
'use strict';

(() => {
  const { h, t, tc, $, api } = RD;

  RD.add({
    'skip': ['跳到主要内容', 'Skip to the main content'],
    'staff.title': ['退款审核工作台', 'Refund review'],
    'staff.customer_only': ['此页面供员工使用，客户请使用退款申请页面。', 'This page is for staff; customers use the refund form.'],
    'staff.customer_link': ['打开退款申请页面', 'Open the refund form'],
    'staff.no_tools': ['您的角色在此页面没有可用的操作。', 'Your role has nothing to do on this page.'],
    'staff.system_only': ['此页面供员工使用；系统令牌（账单同步、支付渠道回调）只用于接口。', 'This page is for staff; a system token (billing sync, payment channel callbacks) is for the API only.'],

    'queue.title': ['待处理队列', 'Review queue'],
    'queue.caption': ['待处理的退款申请，按处理期限排序', 'Open refund requests, by due date'],
    'queue.count': ['{n} 条', '{n} shown'],
    'queue.f.status': ['状态', 'Status'],
    'queue.f.all_open': ['全部待处理', 'All open'],
    'queue.f.provider': ['服务商', 'Provider'],
    'queue.f.product_type': ['产品类型', 'Product type'],
    'queue.f.assignee': ['处理人', 'Assignee'],
    'queue.f.any': ['全部', 'Any'],
    'queue.f.me': ['我处理的', 'Mine'],
    'queue.f.unassigned': ['未分配', 'Unassigned'],
    'queue.f.overdue': ['仅显示已逾期', 'Overdue only'],
    'queue.col.due': ['处理期限', 'Due'],
    'queue.col.id': ['编号', 'No.'],
    'queue.col.status': ['状态', 'Status'],
    'queue.col.order': ['订单 / 客户', 'Order / customer'],
    'queue.col.product': ['产品', 'Product'],
    'queue.col.amount': ['申请金额', 'Requested'],
    'queue.col.assignee': ['处理人', 'Assignee'],
    'queue.col.actions': ['操作', 'Actions'],
    'queue.empty': ['队列为空。', 'The queue is empty.'],
    'queue.overdue': ['已逾期', 'Overdue'],
    'queue.unassigned': ['未分配', 'unassigned'],
    'queue.open': ['处理', 'Open'],
    /* accessible names start with the visible text (WCAG 2.5.3, label in name) */
    'queue.open.label': ['处理（退款申请 #{id}）', 'Open (refund request #{id})'],
    'payouts.refund.label': ['退款申请 #{id}', 'Refund request #{id}'],

    'ready.title': ['退款申请', 'Refund requests'],
    'ready.f.approved': ['已批准（待打款）', 'Approved (to pay)'],
    'ready.col.amount': ['金额', 'Amount'],
    'ready.col.method': ['退款方式', 'Refund to'],
    'ready.col.updated': ['更新时间', 'Updated'],
    'ready.empty': ['没有符合条件的退款申请。', 'No refund requests match.'],

    'payouts.title': ['打款记录', 'Payouts'],
    'payouts.export': ['导出待发送（CSV）', 'Export pending (CSV)'],
    'payouts.export.hint': ['导出会把待发送的原路打款标记为“已发送”，并给这次导出一个批次号（显示在每笔打款的状态下）。下载丢失时，“重新下载导出”再次取得上一次导出（或填写的批次）中渠道尚未回复的打款，不改变任何状态；其他批次的打款渠道已收到，不会再次包含。',
      'Exporting marks the pending original-route payouts as sent under an export number (shown under each payout\'s status). If a download was lost, "Download export again" fetches the last export (or the one whose number you enter) with its payouts the channel has not answered yet, and changes nothing; other exports\' payouts, which the channel already has, are never in it.'],
    'payouts.exported': ['已导出 {n} 笔打款。', 'Exported {n} payouts.'],
    'payouts.resend': ['重新下载导出（CSV）', 'Download export again (CSV)'],
    'payouts.resent': ['已重新下载 {n} 笔已发送的打款（状态未改变）。', 'Downloaded {n} sent payouts again (nothing changed).'],
    'payouts.export.no': ['导出批次号', 'Export no.'],
    'payouts.export.last': ['上一次', 'last'],
    'payouts.export.bad': ['批次号是一个正整数；留空为上一次导出。', 'An export number is a whole number above zero; leave it empty for the last export.'],
    'payouts.export.of': ['导出批次 {n}', 'export {n}'],
    'payouts.f.status': ['打款状态', 'Payout status'],
    'payouts.col.id': ['打款编号', 'Payout'],
    'payouts.col.refund': ['退款申请', 'Refund'],
    'payouts.col.amount': ['金额', 'Amount'],
    'payouts.col.channel': ['渠道', 'Channel'],
    'payouts.col.status': ['状态', 'Status'],
    'payouts.col.expected': ['预计到账', 'Expected'],
    'payouts.empty': ['没有打款记录。', 'No payouts.'],
    'payouts.settle': ['标记到账', 'Mark settled'],
    'payouts.fail': ['标记失败', 'Mark failed'],
    'payouts.fail.reason': ['失败原因', 'Failure reason'],
    'payouts.fail.label': ['打款 #{id} 的失败原因', 'Why payout #{id} failed'],
    'payouts.settled': ['打款 #{id} 已标记到账。', 'Payout #{id} marked settled.'],
    'payouts.failed': ['打款 #{id} 已标记失败。', 'Payout #{id} marked failed.'],

    'detail.title': ['退款申请 #{id}', 'Refund request #{id}'],
    'detail.account': ['客户', 'Customer'],
    'detail.order': ['订单', 'Order'],
    'detail.paid': ['实付', 'Paid'],
    'detail.requested': ['申请金额', 'Requested'],
    'detail.method': ['申请的退款方式', 'Requested route'],
    'detail.approved': ['批准金额', 'Approved'],
    'detail.approved_method': ['批准的退款方式', 'Approved route'],
    'detail.approvers': ['审批人', 'Approvers'],
    'detail.reason': ['客户原因', "Customer's reason"],
    'detail.submitted': ['提交时间', 'Submitted'],
    'detail.due': ['处理期限', 'Due'],
    'detail.assignee': ['处理人', 'Assignee'],
    'detail.reject_reason': ['拒绝原因', 'Rejection reason'],
    'detail.note': ['处理说明', 'Decision note'],
    'detail.second_note': ['复核说明', 'Second approver\'s note'],
    'detail.appealed': ['已申诉', 'Appeal used'],
    'detail.quote': ['提交时的报价', 'Quote as submitted'],
    'detail.quote.line': ['{amount} · {decision} · {rule} · 政策版本 {v}', '{amount} · {decision} · {rule} · policy version {v}'],
    'detail.timeline': ['处理记录', 'Timeline'],
    'detail.messages': ['留言', 'Messages'],
    'detail.payouts': ['打款', 'Payouts'],
    'detail.actions': ['操作', 'Actions'],
    'detail.no_actions': ['当前状态下您没有可执行的操作。', 'Nothing for you to do in this status.'],

    'act.claim': ['受理（分配给我）', 'Claim (assign to me)'],
    'act.claimed': ['已受理申请 #{id}。', 'Claimed request #{id}.'],
    'act.request_info': ['要求客户补充信息', 'Ask the customer for information'],
    'act.request_info.label': ['需要客户补充的内容', 'What the customer should send'],
    'act.request_info.send': ['发送请求', 'Send request'],
    'act.requested': ['已要求客户补充信息。', 'Information requested from the customer.'],
    'act.approve': ['批准退款', 'Approve'],
    'act.approve.amount': ['批准金额（{currency}，如 {example}）', 'Amount to approve ({currency}, e.g. {example})'],
    'act.approve.preview': ['将批准 {amount}', 'Will approve {amount}'],
    'act.approve.above': ['高于报价金额 {quote}：仅主管可批准，且须填写理由。', 'Above the quoted {quote}: only a supervisor may approve, with a written reason.'],
    'act.approve.below': ['低于客户申请金额，客户需确认后才会打款。', 'Less than requested: the customer must confirm before payout.'],
    'act.approve.method': ['退款方式', 'Refund route'],
    'act.approve.method.same': ['{m}（客户申请）', '{m} (as requested)'],
    'act.approve.note': ['说明（客户可见；批准金额低于或高于报价、或更换退款方式时必填）', 'Note (the customer sees it; required for an amount other than the quote or another route)'],
    'act.approve.same_approver': ['您已作为首次审批人批准了此申请，二次审批须由另一位主管完成；您仍可拒绝或留言。',
      'You gave the first approval of this request; the second approval must come from another supervisor. You may still reject it or send a message.'],
    'act.approve.second': ['首次批准：{amount}（{m}），审批人 {who}。二次审批须由另一位主管完成。', 'First approval: {amount} ({m}) by {who}. The second approval must be another supervisor.'],
    'act.approved': ['申请 #{id} 已处理，当前状态：{status}。', 'Request #{id} decided; status: {status}.'],
    'act.reject': ['拒绝退款', 'Reject'],
    'act.reject.reason': ['拒绝原因', 'Reason'],
    'act.reject.note': ['说明（客户可见）', 'Note (the customer sees it)'],
    'act.rejected': ['申请 #{id} 已拒绝。', 'Request #{id} rejected.'],
    'act.message': ['留言给客户', 'Message the customer'],
    'act.message.send': ['发送留言', 'Send message'],
    'act.messaged': ['留言已发送。', 'Message sent.'],
    'act.payout': ['打款', 'Pay out'],
    'act.payout.method': ['打款方式', 'Pay to'],
    'act.payout.go': ['确认打款 {amount}', 'Pay {amount}'],
    'act.paid': ['申请 #{id} 已发起打款，当前状态：{status}。', 'Payout started for #{id}; status: {status}.'],
    'act.need_text': ['请输入内容。', 'Write something first.'],
    'act.choose': ['请选择', 'Choose…'],

    'amount.empty': ['请输入金额。', 'Enter an amount.'],
    'amount.invalid': ['金额格式不正确，请输入如 123.45 的数字。', 'Not an amount: type a number such as 123.45.'],
    'amount.too_many_decimals': ['小数位数过多（{currency} 最多 {e} 位）。', 'Too many decimals ({currency} has {e}).'],
    'amount.too_large': ['金额过大。', 'The amount is too large.'],
    'amount.zero': ['金额必须大于 0。', 'The amount must be more than 0.'],
  });

  const REVIEWERS = ['support', 'supervisor'];
  const store = RD.tokenStore('refundd.staff.token');
  const alert = RD.messenger($('#alert'));
  const notice = RD.messenger($('#notice'));
  const detailAlert = RD.messenger($('#detail-alert'));
  /* problems of the payouts table's own actions, shown where they were taken */
  const payoutsAlert = RD.messenger($('#payouts-alert'));

  const state = {
    me: null,
    queue: [], queueCursor: null,
    ready: [], readyCursor: null,
    payouts: [], payoutsCursor: null,
    detail: null,
    failAsk: null,   /* payout id waiting for a failure reason */
  };

  const isReviewer = () => state.me && REVIEWERS.includes(state.me.role);
  const isFinance = () => state.me && state.me.role === 'finance';
  const isSupervisor = () => state.me && state.me.role === 'supervisor';

  /* ---------- sign in ---------- */

  async function signIn(token, { silent } = {}) {
    await RD.configReady;   /* times are shown in the reseller's zone */
    RD.setToken(token);
    alert.clear();
    let me;
    try {
      me = await api('GET', '/api/v1/me');
    } catch (e) {
      if (e.status !== 401) alert.error(e);
      RD.setToken('');
      if (!silent && e.status === 401) store.clear();
      return;
    }
    /* a customer, or the system (no list of refunds to show: 403 and
     * "nothing to do" at once), is turned away before anything is loaded */
    if (me.role === 'customer' || me.role === 'system') {
      RD.setToken('');
      store.clear();
      alert.nodes('error', () => (me.role === 'customer'
        ? [h('span', t('staff.customer_only'), ' '), h('a', { href: './' }, t('staff.customer_link'))]
        : [h('span', t('staff.system_only'))]));
      return;
    }
    store.set(token);
    state.me = me;
    $('#token-form').hidden = true;
    $('#who').hidden = false;
    paintWho();
    $('#queue-section').hidden = !isReviewer();
    $('#ready-section').hidden = isReviewer();
    $('#payouts-section').hidden = !isFinance();
    const loads = [];
    if (isReviewer()) loads.push(loadQueue());
    else loads.push(loadReady());
    if (isFinance()) loads.push(loadPayouts());
    if (!isReviewer() && !isFinance() && me.role !== 'admin') notice.text(() => t('staff.no_tools'));
    /* Views in files of their own (staff-claims.js) show themselves. */
    RD.staffMe = me;
    for (const v of RD.staffViews || []) v.signIn(me);
    await Promise.all(loads);
  }

  function paintWho() {
    if (state.me) $('#who-text').textContent = t('who', { sub: state.me.sub, role: tc('role', state.me.role) });
  }

  function signOut(expired) {
    store.clear();
    RD.setToken('');
    Object.assign(state, { me: null, queue: [], ready: [], payouts: [], detail: null });
    RD.staffMe = null;
    for (const v of RD.staffViews || []) v.signOut();
    for (const id of ['#queue-section', '#ready-section', '#payouts-section', '#detail-section', '#who'])
      $(id).hidden = true;
    $('#token-form').hidden = false;
    $('#token-input').value = '';
    notice.clear();
    detailAlert.clear();
    payoutsAlert.clear();
    if (expired) alert.nodes('error', () => RD.signedOutNodes());
    else alert.clear();
    $('#token-input').focus();
  }

  RD.onUnauthorized(() => signOut(true));

  $('#token-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const tok = String($('#token-input').value || '').trim().replace(/^Bearer\s+/i, '').replace(/\s+/g, '');
    if (!tok) {
      alert.text(() => t('token.empty'), 'error');
      $('#token-input').setAttribute('aria-invalid', 'true');
      $('#token-input').focus();
      return;
    }
    $('#token-input').removeAttribute('aria-invalid');
    RD.busy(ev.submitter || $('#token-form button'), () => signIn(tok));
  });
  $('#signout').addEventListener('click', () => signOut(false));

  /* ---------- queue ---------- */

  function queueQuery(cursor) {
    const p = new URLSearchParams();
    const f = $('#filters');
    for (const name of ['status', 'provider', 'product_type', 'assignee']) {
      let v = f.elements[name].value.trim();
      if (name === 'provider') v = v.toLowerCase();
      if (v) p.set(name, v);
    }
    if ($('#f-overdue').checked) p.set('overdue', 'true');
    p.set('limit', '50');
    if (cursor) p.set('cursor', cursor);
    return `/api/v1/queue?${p}`;
  }

  /* Only the latest answer of a list is shown: filters changed quickly
   * can answer out of order. */
  const seqs = { queue: 0, ready: 0, payouts: 0 };

  async function loadQueue(more) {
    const my = ++seqs.queue;
    try {
      const page = await api('GET', queueQuery(more ? state.queueCursor : null));
      if (my !== seqs.queue) return;
      state.queue = more ? state.queue.concat(page.items) : page.items;
      state.queueCursor = page.next_cursor || null;
      renderQueue();
    } catch (e) { if (e.status !== 401) alert.error(e); }
  }

  function isOverdue(r) {
    if (typeof r.overdue === 'boolean') return r.overdue;
    return r.due_at && new Date(r.due_at).getTime() < Date.now();
  }

  function renderQueue() {
    const body = RD.clear($('#queue-body'));
    for (const r of state.queue) {
      const overdue = isOverdue(r);
      const open = state.detail && String(state.detail.id) === String(r.id);
      body.append(h('tr', {
        class: [overdue ? 'overdue' : '', open ? 'selected' : ''].filter(Boolean).join(' '),
        dataset: { refund: String(r.id), status: r.status, overdue: overdue ? 'true' : 'false' },
      },
      h('td', RD.timeEl(r.due_at), overdue ? h('span.badge.overdue', t('queue.overdue')) : null),
      h('td', `#${r.id}`),
      h('td', RD.statusBadge(r.status)),
      h('td', h('code', r.order_id), h('small.muted', r.account)),
      h('td', tc('ptype', r.product_type), h('small.muted', tc('provider', r.provider))),
      h('td.num', RD.formatMoney(r.quoted_amount, r.currency)),
      h('td', r.assignee ? h('span', { class: state.me && r.assignee === state.me.sub ? 'assigned' : '' }, r.assignee) : h('span.muted', t('queue.unassigned'))),
      h('td.row-actions', h('button.secondary', {
        type: 'button', 'aria-label': t('queue.open.label', { id: r.id }), dataset: { action: 'open', refund: String(r.id) },
        onclick: (ev) => RD.busy(ev.currentTarget, () => openDetail(r.id)),
      }, t('queue.open')))));
    }
    $('#queue-empty').hidden = state.queue.length > 0;
    $('#queue-table').hidden = state.queue.length === 0;
    $('#queue-more').hidden = !state.queueCursor;
    $('#queue-count').textContent = t('queue.count', { n: state.queue.length });
  }

  $('#filters').addEventListener('submit', (ev) => { ev.preventDefault(); RD.busy(ev.submitter, () => loadQueue()); });
  $('#filters').addEventListener('change', () => loadQueue());
  $('#queue-more').addEventListener('click', (ev) => RD.busy(ev.currentTarget, () => loadQueue(true)));

  /* ---------- refund requests by status (finance, admin) ---------- */

  async function loadReady(more) {
    const p = new URLSearchParams({ limit: '50' });
    const status = $('#r-status').value;
    if (status) p.set('status', status);
    if (more && state.readyCursor) p.set('cursor', state.readyCursor);
    const my = ++seqs.ready;
    try {
      const page = await api('GET', `/api/v1/refunds?${p}`);
      if (my !== seqs.ready) return;
      state.ready = more ? state.ready.concat(page.items) : page.items;
      state.readyCursor = page.next_cursor || null;
      renderReady();
    } catch (e) { if (e.status !== 401) alert.error(e); }
  }

  function renderReady() {
    const body = RD.clear($('#ready-body'));
    for (const r of state.ready) {
      const amount = r.approved_amount ?? r.quoted_amount;
      const open = state.detail && String(state.detail.id) === String(r.id);
      body.append(h('tr', { class: open ? 'selected' : '', dataset: { refund: String(r.id), status: r.status } },
        h('td', `#${r.id}`),
        h('td', h('code', r.order_id), h('small.muted', r.account)),
        h('td.num', RD.formatMoney(amount, r.currency)),
        h('td', tc('payout', r.approved_method || r.payout_method)),
        h('td', RD.statusBadge(r.status)),
        h('td', RD.timeEl(r.updated_at)),
        h('td.row-actions', h('button.secondary', {
          type: 'button', 'aria-label': t('queue.open.label', { id: r.id }), dataset: { action: 'open', refund: String(r.id) },
          onclick: (ev) => RD.busy(ev.currentTarget, () => openDetail(r.id)),
        }, t('queue.open')))));
    }
    $('#ready-empty').hidden = state.ready.length > 0;
    $('#ready-table').hidden = state.ready.length === 0;
    $('#ready-more').hidden = !state.readyCursor;
  }

  $('#ready-filter').addEventListener('submit', (ev) => { ev.preventDefault(); RD.busy(ev.submitter, () => loadReady()); });
  $('#ready-filter').addEventListener('change', () => loadReady());
  $('#ready-more').addEventListener('click', (ev) => RD.busy(ev.currentTarget, () => loadReady(true)));

  /* ---------- payouts (finance) ---------- */

  async function loadPayouts(more) {
    const p = new URLSearchParams({ limit: '50' });
    const status = $('#p-status').value;
    if (status) p.set('status', status);
    if (more && state.payoutsCursor) p.set('cursor', state.payoutsCursor);
    const my = ++seqs.payouts;
    try {
      const page = await api('GET', `/api/v1/payouts?${p}`);
      if (my !== seqs.payouts) return;
      state.payouts = more ? state.payouts.concat(page.items) : page.items;
      state.payoutsCursor = page.next_cursor || null;
      renderPayouts();
    } catch (e) { if (e.status !== 401) alert.error(e); }
  }

  /* The buttons of a payout, in the payouts table or in a refund's detail;
   * onDone draws that place again, box is the messenger of that place. */
  function payoutActions(p, onDone, box) {
    const cell = h('span.payout-actions');
    if (!['pending', 'sent'].includes(p.status)) return cell;
    if (state.failAsk === p.id) {
      const id = `fail-reason-${p.id}`;
      const input = h('input', { type: 'text', id, maxlength: 500, 'aria-label': t('payouts.fail.label', { id: p.id }), placeholder: t('payouts.fail.reason') });
      const form = h('form.inline', { novalidate: true }, input, ' ',
        h('button.danger', { type: 'submit' }, t('payouts.fail')), ' ',
        h('button.secondary', { type: 'button', onclick: () => { state.failAsk = null; onDone(); } }, t('cancel')));
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const reason = input.value.trim();
        if (!reason) { input.setAttribute('aria-invalid', 'true'); input.focus(); return; }
        await payoutCall(ev.submitter, p, 'fail', { reason }, () => t('payouts.failed', { id: p.id }), box);
      });
      setTimeout(() => input.focus(), 0);
      cell.append(form);
      return cell;
    }
    cell.append(
      h('button.secondary', { type: 'button', dataset: { action: 'settle', payout: String(p.id) },
        onclick: (ev) => payoutCall(ev.currentTarget, p, 'settle', undefined, () => t('payouts.settled', { id: p.id }), box) }, t('payouts.settle')));
    // Once exported, only the channel's answer fails a payout (409 payout_sent).
    if (p.status === 'pending')
      cell.append(' ', h('button.secondary', { type: 'button', dataset: { action: 'fail', payout: String(p.id) },
        onclick: () => { state.failAsk = p.id; onDone(); } }, t('payouts.fail')));
    return cell;
  }

  /* The payout's lists and, when open, its refund: as they are now. */
  function reloadPayout(p) {
    return Promise.all([loadPayouts(), loadReady(),
      state.detail && String(state.detail.id) === String(p.refund_id) ? reloadDetail() : null]);
  }

  /* A refusal is shown in box, the messenger of the place the button was
   * in (not in a detail panel far from the table), with keyboard focus;
   * a 409 means the payout moved on (sent by an export, answered by the
   * channel): the lists are drawn again, so the row offers what it allows now. */
  async function payoutCall(button, p, what, body, message, box) {
    alert.clear();
    box.clear();
    await RD.busy(button, async () => {
      try {
        await api('POST', `/api/v1/payouts/${encodeURIComponent(p.id)}/${what}`, body === undefined ? {} : { body });
        state.failAsk = null;
        notice.text(message, 'ok');
        await reloadPayout(p);
      } catch (e) {
        if (e.status === 401) return;
        if (e.status === 409) {
          state.failAsk = null;
          await reloadPayout(p).catch(() => {});
        }
        box.error(e);
        box.focus();
      }
    });
  }

  function renderPayouts() {
    const body = RD.clear($('#payouts-body'));
    for (const p of state.payouts) {
      body.append(h('tr', { dataset: { payout: String(p.id), status: p.status, refund: String(p.refund_id) } },
        h('td', `#${p.id}`),
        h('td', h('button.link-button', { type: 'button', 'aria-label': t('payouts.refund.label', { id: p.refund_id }),
          onclick: (ev) => RD.busy(ev.currentTarget, () => openDetail(p.refund_id)) }, `#${p.refund_id}`)),
        h('td.num', RD.formatMoney(p.amount, p.currency)),
        h('td', tc('pay', p.channel), p.method ? h('small.muted', tc('payout', p.method)) : null),
        h('td', h(`span.badge.pstatus-${p.status}`, tc('pstatus', p.status)),
          p.failure_reason ? h('small.muted', p.failure_reason) : null,
          /* the export that sent it: the number to download it again by */
          p.export_id ? h('small.muted.export-no', t('payouts.export.of', { n: p.export_id })) : null),
        /* a failed payout arrives never: no expected date */
        h('td', { dataset: { col: 'arrival' } }, p.status === 'settled' ? RD.timeEl(p.settled_at)
          : p.status === 'failed' ? '—' : RD.timeEl(p.expected_latest_at || p.expected_at)),
        h('td.row-actions', payoutActions(p, renderPayouts, payoutsAlert))));
    }
    $('#payouts-empty').hidden = state.payouts.length > 0;
    $('#payouts-table').hidden = state.payouts.length === 0;
    $('#payouts-more').hidden = !state.payoutsCursor;
  }

  $('#payouts-filter').addEventListener('submit', (ev) => { ev.preventDefault(); RD.busy(ev.submitter, () => loadPayouts()); });
  $('#payouts-filter').addEventListener('change', () => loadPayouts());
  $('#payouts-more').addEventListener('click', (ev) => RD.busy(ev.currentTarget, () => loadPayouts(true)));

  /* The CSV answers come with the finance token; they are saved through a
   * blob URL (no token in any address). Answers the rows saved. */
  async function downloadPayoutsCsv(path, prefix) {
    const csv = await api('GET', typeof path === 'function' ? path() : path, { accept: 'text/csv' });
    const text = typeof csv === 'string' ? csv : '';
    const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
    const stamp = new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
    const a = h('a', { href: url, download: `${prefix}-${stamp}.csv` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    return csvRecords(text);
  }

  /* The records after the header row: a line break inside a quoted field
   * (a product name on two lines) is not a record (RFC 4180; a doubled
   * quote inside a field toggles twice). */
  function csvRecords(text) {
    let lines = 0, quoted = false;
    for (const ch of text) {
      if (ch === '"') quoted = !quoted;
      else if (ch === '\n' && !quoted) lines++;
    }
    return Math.max(0, lines - 1);
  }

  /* A button that saves payouts as CSV, says how many, then runs after. */
  function csvButton(sel, path, prefix, done, after) {
    $(sel).addEventListener('click', (ev) => RD.busy(ev.currentTarget, async () => {
      alert.clear();
      payoutsAlert.clear();
      try {
        const rows = await downloadPayoutsCsv(path, prefix);
        notice.text(() => t(done, { n: rows }), 'ok');
        if (after) await after();
      } catch (e) { if (e.status !== 401) { payoutsAlert.error(e); payoutsAlert.focus(); } }
    }));
  }
  /* The export: the pending instructions, which it marks sent. */
  csvButton('#payouts-export', '/api/v1/payouts', 'payouts', 'payouts.exported', loadPayouts);
  /* One export's instructions the channel has not answered yet, again,
   * when its file was lost (README, conf/nginx.conf: the export is never
   * retried): the last export, or the number entered. Read-only:
   * ?status=sent changes nothing, and never holds another export's
   * instructions, which the channel already has. */
  function resendPath() {
    const no = $('#payouts-export-no').value.trim();
    if (no !== '' && !/^[1-9][0-9]{0,17}$/.test(no)) {
      $('#payouts-export-no').setAttribute('aria-invalid', 'true');
      throw Object.assign(new Error(t('payouts.export.bad')), { field: 'payouts-export-no' });
    }
    $('#payouts-export-no').removeAttribute('aria-invalid');
    return `/api/v1/payouts?${new URLSearchParams(no ? { status: 'sent', export: no } : { status: 'sent' })}`;
  }
  csvButton('#payouts-resend', resendPath, 'payouts-sent', 'payouts.resent');

  /* ---------- one request ---------- */

  async function openDetail(id) {
    detailAlert.clear();
    notice.clear();
    state.failAsk = null;
    try {
      state.detail = await api('GET', `/api/v1/refunds/${encodeURIComponent(id)}`);
    } catch (e) {
      if (e.status !== 401) alert.error(e);
      return;
    }
    renderDetail();
    renderQueue();
    renderReady();
    const sec = $('#detail-section');
    sec.hidden = false;
    sec.scrollIntoView({ block: 'start' });
    sec.focus({ preventScroll: true });
  }

  async function reloadDetail() {
    if (!state.detail) return;
    try {
      state.detail = await api('GET', `/api/v1/refunds/${encodeURIComponent(state.detail.id)}`);
      renderDetail();
    } catch (e) { if (e.status !== 401) detailAlert.error(e); }
  }

  $('#detail-close').addEventListener('click', () => {
    state.detail = null;
    $('#detail-section').hidden = true;
    renderQueue();
    renderReady();
  });

  function reloadLists() {
    const loads = [];
    if (isReviewer()) loads.push(loadQueue());
    else loads.push(loadReady());
    if (isFinance()) loads.push(loadPayouts());
    return Promise.all(loads);
  }

  /* The field a refusal is about, to mark and focus (else the error box). */
  const PROBLEM_FIELD = {
    note_required: 'approve-note', amount_above_quote: 'approve-amount', invalid_amount: 'approve-amount',
    exceeds_order_cap: 'approve-amount', payout_method_not_allowed: 'approve-method',
  };

  /* A message is a create: sent again after a failure, it carries the same
   * Idempotency-Key (RD.retryKey), so it is stored once. */
  async function act(button, path, body, message) {
    detailAlert.clear();
    notice.clear();
    const url = `/api/v1/refunds/${encodeURIComponent(state.detail.id)}/${path}`;
    const request = path === 'messages' ? `${url} ${JSON.stringify(body)}` : null;
    await RD.busy(button, async () => {
      try {
        const r = await api('POST', url, body === undefined ? {} : { body,
          idempotencyKey: request ? RD.retryKey(request) : undefined });
        if (request) RD.retryKeyDone(request);
        state.detail = r;
        renderDetail();
        notice.text(() => message(r), 'ok');
        await reloadLists();
      } catch (e) {
        if (e.status === 401) return;
        /* refused by the state someone else made (409): show that state
         * and the actions it really allows, keeping what was typed */
        if (e.status === 409) {
          await Promise.all([keepDetail(() => reloadDetail()), reloadLists().catch(() => {})]);
        }
        detailAlert.error(e);
        const f = document.getElementById(PROBLEM_FIELD[e.code] || '');
        if (f && $('#detail').contains(f)) {
          f.setAttribute('aria-invalid', 'true');
          f.addEventListener('input', () => f.removeAttribute('aria-invalid'), { once: true });
          f.focus();
        } else detailAlert.focus();
      }
    });
  }

  /* re-renders the detail keeping typed values (async fn allowed) */
  async function keepDetail(fn) {
    const box = $('#detail');
    const kept = [...box.querySelectorAll('input[id], select[id], textarea[id]')].map((el) => [el.id, el.value]);
    await fn();
    for (const [id, v] of kept) {
      const el = document.getElementById(id);
      if (el && box.contains(el) && el.value !== v) { el.value = v; el.dispatchEvent(new Event('input')); }
    }
  }

  function field(id, label, control, hint) {
    return h('div.field', h('label', { for: id }, label), control, hint || null);
  }

  function textPanel({ id, title, label, button, required, onSubmit, extra }) {
    const area = h('textarea', { id, rows: 3, maxlength: 4000 });
    const b = h('button.primary', { type: 'submit' }, button);
    const form = h('form', { novalidate: true, dataset: { form: id } }, field(id, label, area), extra || null, h('div.actions', b));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const text = area.value.trim();
      if (required && !text) {
        area.setAttribute('aria-invalid', 'true');
        detailAlert.text(() => t('act.need_text'), 'error');
        area.focus();
        return;
      }
      area.removeAttribute('aria-invalid');
      onSubmit(text, b, form);
    });
    return h('div.panel', h('h3', title), form);
  }

  /* The amount field: major units typed, minor units sent. */
  function approvePanel(r) {
    const cur = r.currency;
    const second = r.status === 'awaiting_second_approval';
    const form = h('form', { novalidate: true, dataset: { form: 'approve' } });
    let input = null;
    let method = null;
    if (second) {
      form.append(h('p', t('act.approve.second', {
        amount: RD.formatMoney(r.approved_amount, cur), m: tc('payout', r.approved_method || r.payout_method), who: r.first_approver || '?',
      })));
    } else {
      input = h('input.amount-input', { type: 'text', id: 'approve-amount', inputmode: 'decimal', autocomplete: 'off',
        value: RD.minorToInput(r.quoted_amount, cur), 'aria-describedby': 'approve-amount-preview' });
      const preview = h('small.hint', { id: 'approve-amount-preview', 'aria-live': 'polite' });
      const paint = () => {
        const p = RD.parseMajor(input.value, cur);
        RD.clear(preview);
        if (!p.ok) {
          preview.append(amountError(p.err, cur));
          return;
        }
        if (p.value > 0 && input.getAttribute('aria-invalid')) {
          input.removeAttribute('aria-invalid');
          detailAlert.clear();
        }
        preview.append(t('act.approve.preview', { amount: RD.formatMoney(p.value, cur) }));
        if (p.value > r.quoted_amount) preview.append(h('br'), t('act.approve.above', { quote: RD.formatMoney(r.quoted_amount, cur) }));
        else if (p.value < r.quoted_amount) preview.append(h('br'), t('act.approve.below'));
      };
      input.addEventListener('input', paint);
      paint();
      form.append(field('approve-amount', t('act.approve.amount', { currency: cur, example: RD.minorToInput(12345, cur) }), input, preview));
      const methods = (r.quote && Array.isArray(r.quote.payout_methods) ? r.quote.payout_methods : [r.payout_method]);
      const all = Array.from(new Set([r.payout_method, ...methods]));
      method = h('select', { id: 'approve-method' }, all.map((m) => h('option', { value: m, selected: m === r.payout_method },
        m === r.payout_method ? t('act.approve.method.same', { m: tc('payout', m) }) : tc('payout', m))));
      form.append(field('approve-method', t('act.approve.method'), method));
    }
    const note = h('textarea', { id: 'approve-note', rows: 2, maxlength: 2000 });
    form.append(field('approve-note', t('act.approve.note'), note));
    const b = h('button.primary', { type: 'submit' }, t('act.approve'));
    /* What the provider gives back, next to the button (staff-claims.js). */
    const margin = RD.providerMargin ? RD.providerMargin(r) : null;
    form.append(h(margin ? 'div.actions.with-margin' : 'div.actions', b, margin));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const body = {};
      if (input) {
        const p = RD.parseMajor(input.value, cur);
        input.removeAttribute('aria-invalid');
        if (!p.ok || p.value <= 0) {
          input.setAttribute('aria-invalid', 'true');
          detailAlert.nodes('error', () => amountError(p.ok ? 'zero' : p.err, cur));
          input.focus();
          return;
        }
        body.amount = p.value;
        if (method.value !== r.payout_method) body.payout_method = method.value;
      }
      if (note.value.trim()) body.note = note.value.trim();
      act(b, 'approve', body, (x) => t('act.approved', { id: x.id, status: tc('status', x.status) }));
    });
    return h('div.panel', h('h3', t('act.approve')), form);
  }

  function amountError(err, cur) {
    return h('span', t(`amount.${err}`, { currency: cur, e: RD.exponent(cur) }));
  }

  function rejectPanel() {
    const reasons = ['policy_ineligible', 'insufficient_information', 'abuse_suspected', 'duplicate_request', 'other'];
    const select = h('select', { id: 'reject-reason', required: true },
      h('option', { value: '' }, t('act.choose')),
      reasons.map((c) => h('option', { value: c }, tc('reject', c))));
    const note = h('textarea', { id: 'reject-note', rows: 2, maxlength: 2000 });
    const b = h('button.danger', { type: 'submit' }, t('act.reject'));
    const form = h('form', { novalidate: true, dataset: { form: 'reject' } },
      field('reject-reason', t('act.reject.reason'), select),
      field('reject-note', t('act.reject.note'), note),
      h('div.actions', b));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      select.removeAttribute('aria-invalid');
      if (!select.value) {
        select.setAttribute('aria-invalid', 'true');
        detailAlert.text(() => t('act.choose'), 'error');
        select.focus();
        return;
      }
      const body = { reason_code: select.value };
      if (note.value.trim()) body.note = note.value.trim();
      act(b, 'reject', body, (x) => t('act.rejected', { id: x.id }));
    });
    return h('div.panel', h('h3', t('act.reject')), form);
  }

  function payoutPanel(r) {
    const cur = r.currency;
    const amount = r.approved_amount ?? r.quoted_amount;
    const current = r.approved_method || r.payout_method;
    /* the confirmed method; the policy's others only once a payout failed
     * (switching to the balance after the original route failed: the
     * server refuses a switch before, method_switch_needs_failed_payout) */
    const failed = (r.payouts || []).some((p) => p.status === 'failed');
    const offered = failed && r.quote && Array.isArray(r.quote.payout_methods) ? r.quote.payout_methods : [];
    const methods = Array.from(new Set([current, ...offered]));
    const select = h('select', { id: 'payout-method' }, methods.map((m) => h('option', { value: m, selected: m === current }, tc('payout', m))));
    const b = h('button.primary', { type: 'submit', dataset: { action: 'payout' } }, t('act.payout.go', { amount: RD.formatMoney(amount, cur) }));
    const form = h('form', { novalidate: true, dataset: { form: 'payout' } },
      methods.length > 1 ? field('payout-method', t('act.payout.method'), select)
        : h('p', h('span.muted', t('act.payout.method')), ' ', h('strong', tc('payout', current))),
      h('div.actions', b));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const body = methods.length > 1 && select.value !== current ? { payout_method: select.value } : undefined;
      act(b, 'payout', body, (x) => t('act.paid', { id: x.id, status: tc('status', x.status) }));
    });
    return h('div.panel', h('h3', t('act.payout')), form);
  }

  function renderDetail() {
    const r = state.detail;
    const box = RD.clear($('#detail'));
    if (!r) return;
    const cur = r.currency;
    const order = r.order || { id: r.order_id };
    $('#detail-h').textContent = t('detail.title', { id: r.id });

    box.append(h('p.detail-status', RD.statusBadge(r.status), r.overdue ? h('span.badge.overdue', t('queue.overdue')) : null));

    const dl = h('dl.facts',
      h('dt', t('detail.account')), h('dd', r.account),
      h('dt', t('detail.order')), h('dd', h('code', order.id),
        order.product_name ? ` · ${order.product_name}` : '',
        h('div.muted', `${tc('provider', r.provider)} · ${tc('ptype', r.product_type)}`)));
    if (order.amount_paid !== undefined)
      dl.append(h('dt', t('detail.paid')), h('dd', RD.formatMoney(order.amount_paid, order.currency),
        ` · ${tc('pay', order.payment_method)} · `, RD.timeEl(order.paid_at)));
    dl.append(
      h('dt', t('detail.requested')), h('dd', RD.formatMoney(r.quoted_amount, cur)),
      h('dt', t('detail.method')), h('dd', tc('payout', r.payout_method)));
    if (r.approved_amount !== null && r.approved_amount !== undefined) {
      dl.append(h('dt', t('detail.approved')), h('dd', RD.formatMoney(r.approved_amount, cur)));
      dl.append(h('dt', t('detail.approved_method')), h('dd', tc('payout', r.approved_method || r.payout_method)));
      dl.append(h('dt', t('detail.approvers')), h('dd', [r.first_approver, r.second_approver].filter(Boolean).join(', ')));
    }
    dl.append(
      h('dt', t('detail.reason')), h('dd', tc('creason', r.reason_code), r.reason_text ? h('div.note', r.reason_text) : null),
      h('dt', t('detail.submitted')), h('dd', RD.timeEl(r.created_at)),
      h('dt', t('detail.due')), h('dd', RD.timeEl(r.due_at)),
      h('dt', t('detail.assignee')), h('dd', r.assignee || h('span.muted', t('queue.unassigned'))));
    if (r.reject_reason) dl.append(h('dt', t('detail.reject_reason')), h('dd', tc('reject', r.reject_reason)));
    if (r.decision_note) dl.append(h('dt', t('detail.note')), h('dd.note', r.decision_note));
    if (r.second_approval_note) dl.append(h('dt', t('detail.second_note')), h('dd.note', r.second_approval_note));
    if (r.appealed) dl.append(h('dt', t('detail.appealed')), h('dd', t('yes')));
    box.append(dl);

    if (r.quote) {
      const q = r.quote;
      const qbox = h('div.quote-submitted', h('h3', t('detail.quote')),
        h('p', t('detail.quote.line', { amount: RD.formatMoney(q.amount, q.currency), decision: tc('decision', q.decision),
          rule: tc('rule', q.rule), v: q.policy_version })));
      const tb = RD.breakdownTable(q);
      if (tb) qbox.append(tb);
      const rl = RD.reasonList(q.reasons);
      if (rl) qbox.append(rl);
      box.append(qbox);
    }

    /* actions for this role in this status (the server decides; these are
     * the edges of the state machine the role can take) */
    const panels = [];
    const s = r.status;
    if (isReviewer()) {
      const claimable = s === 'submitted' || (s === 'in_review' && isSupervisor() && r.assignee !== state.me.sub);
      if (claimable) {
        panels.push(h('div.panel', h('h3', t('act.claim')), h('button.primary', {
          type: 'button', dataset: { action: 'claim' },
          onclick: (ev) => act(ev.currentTarget, 'claim', undefined, (x) => t('act.claimed', { id: x.id })),
        }, t('act.claim'))));
      }
      /* the first approver may not give the second approval (403 same_approver) */
      const ownFirst = s === 'awaiting_second_approval' && r.first_approver === state.me.sub;
      const approvable = s === 'in_review' || (isSupervisor() && ((s === 'awaiting_second_approval' && !ownFirst) || s === 'appealed'));
      const rejectable = s === 'in_review' || s === 'needs_info' || (isSupervisor() && (s === 'awaiting_second_approval' || s === 'appealed'));
      if (approvable) panels.push(approvePanel(r));
      else if (ownFirst && isSupervisor()) {
        panels.push(h('div.panel.same-approver', h('h3', t('act.approve')),
          h('p', { dataset: { why: 'same_approver' } }, t('act.approve.same_approver'))));
      }
      if (rejectable) panels.push(rejectPanel());
      if (s === 'in_review') {
        panels.push(textPanel({ id: 'info-message', title: t('act.request_info'), label: t('act.request_info.label'),
          button: t('act.request_info.send'), required: true,
          onSubmit: (text, b) => act(b, 'request-info', { message: text }, () => t('act.requested')) }));
      }
      panels.push(textPanel({ id: 'staff-message', title: t('act.message'), label: t('act.message'),
        button: t('act.message.send'), required: true,
        onSubmit: (text, b) => act(b, 'messages', { body: text }, () => t('act.messaged')) }));
    }
    if (isFinance() && s === 'approved') panels.push(payoutPanel(r));

    box.append(h('h3', t('detail.actions')));
    if (panels.length) box.append(h('div.split', panels));
    else box.append(h('p.muted', t('detail.no_actions')));

    if (Array.isArray(r.payouts) && r.payouts.length) {
      box.append(h('h3', t('detail.payouts')), h('ul.payouts', r.payouts.map((p) => h('li', { dataset: { payout: String(p.id), status: p.status } },
        `#${p.id} · ${RD.formatMoney(p.amount, p.currency)} · ${tc('pay', p.channel)} · `,
        h(`span.badge.pstatus-${p.status}`, tc('pstatus', p.status)),
        p.failure_reason ? ` · ${p.failure_reason}` : '',
        isFinance() ? [' ', payoutActions(p, renderDetail, detailAlert)] : null))));
    }

    box.append(h('h3', t('att.title')), RD.attachmentList(r.id, r.attachments, detailAlert));

    box.append(h('div.split',
      h('div', h('h3', t('detail.timeline')), RD.timelineList(r.timeline)),
      h('div', h('h3', t('detail.messages')), RD.messageList(r.messages))));
  }

  /* ---------- language ---------- */

  RD.onLang(() => {
    document.title = `${t('staff.title')} · refundd`;
    paintWho();
    if (state.me) {
      renderQueue();
      renderReady();
      renderPayouts();
      RD.keepValues($('#detail'), renderDetail);
    }
  });

  /* ---------- start ---------- */

  RD.bindLangToggle($('#lang-toggle'));
  RD.bindPortalLink($('#portal-signin'));
  RD.applyStatic();
  document.title = `${t('staff.title')} · refundd`;
  /* A token handed over by the portal (#token=…) replaces any earlier
   * session of this tab, kept in sessionStorage before the first call. */
  const handed = RD.takeHandoff();
  if (handed) store.set(handed);
  const saved = store.get();
  if (saved) signIn(saved, { silent: !handed });
  else $('#token-input').focus();
  RD.onHandoff((tok) => { signOut(false); store.set(tok); signIn(tok); });
})();
