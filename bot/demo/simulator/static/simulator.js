/* The simulator page: pick a demo person, type or tap, see what LINE would show them.
 * Sends go to /simulator/api/send (a signed webhook to /callback); pushes arrive by polling.
 * All text is put in the page with textContent.
 */
(function () {
  "use strict";

  var POLL_MS = 1500;
  var GROUP_ORDER = ["學生", "任課教師", "導師", "行政", "未綁定"];
  var state = { people: [], current: null, chats: {}, canSend: true, polling: null, busy: 0, tz: "Asia/Taipei" };

  var $ = function (id) { return document.getElementById(id); };

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function api(method, url, body) {
    url = document.body.dataset.api + url;
    var opts = { method: method, headers: { "Accept": "application/json" } };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(url, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) throw new Error(data.error || ("HTTP " + r.status));
        return data;
      });
    });
  }

  function chatOf(userId) {
    if (!state.chats[userId]) state.chats[userId] = { items: [], lastSeq: 0, seen: {}, userTick: 0 };
    return state.chats[userId];
  }

  /* A message's time as LINE shows it, in the school's time zone (SCHOOL_TZ), as the bot's own texts. */
  function hhmm(date) {
    var parts = new Intl.DateTimeFormat("en-GB", { timeZone: state.tz, hour: "2-digit", minute: "2-digit",
                                                   hourCycle: "h23" }).formatToParts(date);
    var h = 0, m = "00";
    for (var i = 0; i < parts.length; i++) {
      if (parts[i].type === "hour") h = parseInt(parts[i].value, 10);
      if (parts[i].type === "minute") m = parts[i].value;
    }
    return (h < 12 ? "上午 " : "下午 ") + ((h % 12) || 12) + ":" + m;
  }

  /* -- people ---------------------------------------------------------------- */
  function loadPeople() {
    return api("GET", "api/people").then(function (data) {
      state.people = data.people || [];
      state.canSend = data.can_send !== false;
      if (data.tz) state.tz = data.tz;
      var notice = $("notice");
      notice.hidden = state.canSend;
      notice.textContent = state.canSend ? "" : "此模式沒有頻道密鑰，無法傳送；請以 portfolio-bot demo 啟動。";
      renderPeople();
      renderHint();
      renderTitle();
    });
  }

  function renderTitle() {
    var p = state.current && personById(state.current);
    if (state.current) $("chat-title").textContent = p ? p.name + "・" + p.detail + (p.bound ? "" : "（未綁定）") : state.current;
  }

  function renderPeople() {
    var nav = $("people");
    var filter = $("people-filter").value.trim();
    nav.replaceChildren();
    var groups = {};
    state.people.forEach(function (p) {
      if (filter && (p.name + p.detail + p.group).indexOf(filter) < 0) return;
      (groups[p.group] = groups[p.group] || []).push(p);
    });
    GROUP_ORDER.concat(Object.keys(groups).filter(function (g) { return GROUP_ORDER.indexOf(g) < 0; }))
      .forEach(function (group) {
        var list = groups[group];
        if (!list || !list.length) return;
        var section = el("section", "group");
        section.appendChild(el("h2", "group-title", group + "（" + list.length + "）"));
        list.forEach(function (p) { section.appendChild(personRow(p)); });
        nav.appendChild(section);
      });
  }

  function personRow(p) {
    var row = el("button", "person" + (state.current === p.user_id ? " selected" : "") + (p.bound ? "" : " unbound"));
    row.type = "button";
    row.dataset.userId = p.user_id;
    row.appendChild(el("span", "avatar", p.name.slice(0, 1)));
    var info = el("span", "person-info");
    info.appendChild(el("span", "person-name", p.name));
    info.appendChild(el("span", "person-detail", p.detail));
    if (p.code) {
      var code = el("span", "binding-code", "綁定碼 " + p.code);
      info.appendChild(code);
    }
    row.appendChild(info);
    if (!p.bound) row.appendChild(el("span", "badge", "未綁定"));
    row.addEventListener("click", function () { select(p.user_id); });
    return row;
  }

  function personById(userId) {
    return state.people.find(function (p) { return p.user_id === userId; }) || null;
  }

  function renderHint() {
    var hint = $("chat-hint");
    var p = state.current && personById(state.current);
    hint.replaceChildren();
    if (!p || p.bound) { hint.hidden = true; return; }
    hint.hidden = false;
    if (p.code) {
      hint.appendChild(el("span", null, "此帳號尚未綁定。把綁定碼傳給小幫手試試： "));
      var fill = el("button", "hint-code", p.code);
      fill.type = "button";
      fill.title = "填入輸入框";
      fill.addEventListener("click", function () { $("chat-input").value = p.code; updateSendButton(); $("chat-input").focus(); });
      hint.appendChild(fill);
    } else {
      hint.appendChild(el("span", null, "此 LINE 帳號不屬於任何人：只能看到綁定說明與常見問題。"));
    }
  }

  /* -- chat ------------------------------------------------------------------- */
  function select(userId) {
    state.current = userId;
    document.body.classList.add("chatting");  // on a phone-wide page the chat replaces the list
    renderTitle();
    $("chat-input").disabled = !state.canSend;
    renderPeople();
    renderHint();
    renderChat();
    api("POST", "api/open", { user_id: userId }).then(function (data) {
      addDeliveries(userId, data);
    }).catch(showError);
    document.dispatchEvent(new CustomEvent("simulator:user", { detail: userId }));  // richmenu.js
    $("chat-input").focus();
  }

  function addDeliveries(userId, data) {
    var chat = chatOf(userId);
    var added = false;
    (data.deliveries || []).forEach(function (d) {
      if (chat.seen[d.seq]) return;
      chat.seen[d.seq] = true;
      chat.items.push({ kind: "bot", order: d.seq, delivery: d });
      added = true;
    });
    if (typeof data.last_seq === "number" && data.last_seq > chat.lastSeq) chat.lastSeq = data.last_seq;
    if (added) {
      chat.items.sort(function (a, b) { return a.order - b.order; });
      if (userId === state.current) renderChat();
    }
  }

  function addUserBubble(userId, text) {
    var chat = chatOf(userId);
    chat.userTick += 1;
    chat.items.push({ kind: "user", order: chat.lastSeq + 0.5 - 1 / (chat.userTick + 2), text: text, at: new Date() });
    chat.items.sort(function (a, b) { return a.order - b.order; });
    if (userId === state.current) renderChat();
  }

  function addNote(userId, text) {
    var chat = chatOf(userId);
    chat.items.push({ kind: "note", order: chat.lastSeq + 0.9, text: text });
    if (userId === state.current) renderChat();
  }

  function renderChat() {
    var pane = $("chat");
    pane.replaceChildren();
    var chat = state.current ? chatOf(state.current) : null;
    if (!chat) { pane.appendChild(el("div", "note", "請先在左側選一位示範人物")); renderQuickReplies(null); return; }
    var last = null;
    chat.items.forEach(function (item) {
      if (item.kind === "user") pane.appendChild(userRow(item));
      else if (item.kind === "note") pane.appendChild(el("div", "note", item.text));
      else item.delivery.messages.forEach(function (m, i) { pane.appendChild(botRow(item.delivery, m, i)); });
      last = item;
    });
    var lastMsg = last && last.kind === "bot" ? last.delivery.messages[last.delivery.messages.length - 1] : null;
    renderQuickReplies(lastMsg && lastMsg.quickReply ? lastMsg.quickReply : null);
    pane.scrollTop = pane.scrollHeight;
  }

  function userRow(item) {
    var row = el("div", "msg user");
    var meta = el("div", "meta");
    meta.appendChild(el("span", "read", "已讀"));
    meta.appendChild(el("span", "time", hhmm(item.at)));
    row.appendChild(meta);
    row.appendChild(el("div", "bubble text", item.text));
    return row;
  }

  function botRow(delivery, message, index) {
    var row = el("div", "msg bot" + (delivery.via === "reply" ? "" : " pushed"));
    row.dataset.seq = String(delivery.seq);
    row.dataset.via = delivery.via;
    row.appendChild(el("span", "avatar bot-avatar" + (index > 0 ? " hidden" : ""), "學"));
    var body = el("div", "msg-body");
    body.appendChild(LineRender.message(message, onAction));
    row.appendChild(body);
    var meta = el("div", "meta");
    if (delivery.via !== "reply") meta.appendChild(el("span", "push-tag", "推播"));
    meta.appendChild(el("span", "time", hhmm(new Date(delivery.at))));
    row.appendChild(meta);
    return row;
  }

  function renderQuickReplies(quick) {
    var bar = $("quick-replies");
    bar.replaceChildren();
    var items = quick && quick.items ? quick.items : [];
    bar.hidden = items.length === 0;
    items.forEach(function (item) {
      var a = item.action || {};
      var chip = el("button", "chip", a.label || "");
      chip.type = "button";
      chip.addEventListener("click", function () { onAction(a); });
      bar.appendChild(chip);
    });
  }

  /* -- sending ----------------------------------------------------------------- */
  function send(payload, shown) {
    var userId = state.current;
    if (!userId) return Promise.resolve();
    if (!state.canSend) { showError(new Error("此模式無法傳送")); return Promise.resolve(); }
    var chat = chatOf(userId);
    if (shown) addUserBubble(userId, shown);
    renderQuickReplies(null);  // LINE hides quick replies once the user answers
    payload.user_id = userId;
    payload.after = chat.lastSeq;
    state.busy += 1;
    document.body.classList.add("busy");
    return api("POST", "api/send", payload).then(function (data) {
      addDeliveries(userId, data);
      document.dispatchEvent(new CustomEvent("simulator:user", { detail: userId }));  // a bind may change the menu
      return loadPeople();
    }).catch(showError).then(function () {
      state.busy -= 1;
      if (!state.busy) document.body.classList.remove("busy");
    });
  }

  function sendText(text) {
    text = String(text || "");
    if (!text.trim()) return Promise.resolve();
    return send({ text: text }, text);
  }

  function onAction(action) {
    if (!action || !state.current) return;
    switch (action.type) {
      case "message": return sendText(action.text || action.label);
      case "postback": return send({ data: action.data || "" }, action.displayText || action.text || null);
      case "datetimepicker": {
        var mode = action.mode || "date";
        var fmt = { date: "YYYY-MM-DD", time: "HH:MM", datetime: "YYYY-MM-DDTHH:MM" }[mode];
        var value = window.prompt("請選擇" + (action.label || "") + "（" + fmt + "）", action.initial || "");
        if (!value) return;
        var params = {}; params[mode] = value;
        return send({ data: action.data || "", params: params }, null);
      }
      case "uri": {
        if (/^https?:\/\//i.test(action.uri || "")) window.open(action.uri, "_blank", "noopener");
        else addNote(state.current, "（模擬器不開啟此連結：" + (action.uri || "") + "）");
        return;
      }
      case "clipboard": {
        if (navigator.clipboard) navigator.clipboard.writeText(action.clipboardText || "");
        addNote(state.current, "已複製");
        return;
      }
      default:
        addNote(state.current, "（模擬器不支援「" + action.type + "」動作）");
    }
  }

  function showError(err) {
    if (state.current) addNote(state.current, "⚠ " + (err && err.message ? err.message : "發生錯誤"));
  }

  function updateSendButton() {
    $("send-button").disabled = !state.current || !state.canSend || !$("chat-input").value.trim();
  }

  function poll() {
    var userId = state.current;
    if (!userId) return;
    var chat = chatOf(userId);
    api("GET", "api/messages?user_id=" + encodeURIComponent(userId) + "&after=" + chat.lastSeq)
      .then(function (data) { addDeliveries(userId, data); })
      .catch(function () { /* the server may be restarting; try again next tick */ });
  }

  window.simulatorAction = onAction;  // rich menu taps (richmenu.js) go the same way as buttons

  /* -- wiring ------------------------------------------------------------------- */
  document.addEventListener("DOMContentLoaded", function () {
    var input = $("chat-input");
    $("composer").addEventListener("submit", function (e) {
      e.preventDefault();
      var text = input.value;
      if (!text.trim()) return;
      input.value = "";
      updateSendButton();
      sendText(text);
    });
    input.addEventListener("input", updateSendButton);
    $("people-filter").addEventListener("input", renderPeople);
    $("back-to-people").addEventListener("click", function () { document.body.classList.remove("chatting"); });
    loadPeople().then(renderChat).catch(function (err) {
      var notice = $("notice");
      notice.hidden = false;
      notice.textContent = "無法載入示範人物：" + err.message;
    });
    state.polling = window.setInterval(poll, POLL_MS);
  });
})();
