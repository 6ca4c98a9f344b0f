// Live chat page: lines arrive over the chat WebSocket and the composer sends through it.
// Without this script (or while the socket is down) the composer is a plain form POST.
(function () {
  "use strict";
  var root = document.getElementById("chat");
  if (!root || !window.WebSocket) return;

  var chatId = root.dataset.chatId;
  var me = Number(root.dataset.me);
  var lastId = Number(root.dataset.lastId) || 0;
  var roles = JSON.parse(root.dataset.roles || "{}");
  var statuses = JSON.parse(root.dataset.statuses || "{}");
  var list = root.querySelector(".chat-lines");
  var form = root.querySelector("form.composer");
  var box = form ? form.querySelector("textarea[name=body]") : null;
  var live = root.querySelector("[data-testid=live]");
  var socket = null;
  var retryMs = 500;
  var stopped = false;
  var seq = 0;

  // The same wall-clock format as the server's `local` filter: Beijing time, to the minute.
  function when(iso) {
    var d = new Date(iso);
    if (isNaN(d)) return iso;
    return d.toLocaleString("sv-SE", {
      timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hour12: false,
    });
  }

  function lineElement(m, pending) {
    var li = document.createElement("li");
    li.className = "chat-line " + (m.sender_id === me ? "mine" : "theirs") + " r-" + m.sender_role;
    if (pending) li.classList.add("pending");
    if (m.id) li.dataset.id = m.id;
    if (m.client_msg_id) li.dataset.clientMsgId = m.client_msg_id;
    var meta = document.createElement("div");
    meta.className = "meta";
    var who = document.createElement("b");
    who.textContent = roles[m.sender_role] || m.sender_role;
    meta.appendChild(who);
    meta.appendChild(document.createTextNode(" #" + m.sender_id + " · "));
    var time = document.createElement("time");
    time.textContent = pending ? "发送中 sending…" : when(m.created_at);
    meta.appendChild(time);
    var text = document.createElement("div");
    text.className = "text";
    text.textContent = m.body;  // never innerHTML: a line is untrusted text
    li.appendChild(meta);
    li.appendChild(text);
    return li;
  }

  function scrollDown() {
    list.scrollTop = list.scrollHeight;
    var empty = root.querySelector(".chat-empty");
    if (empty) empty.hidden = list.children.length > 0;
  }

  // A stored line: replaces our pending copy (matched by client_msg_id) or is appended once.
  function show(m) {
    if (list.querySelector('li[data-id="' + m.id + '"]')) return;
    var el = lineElement(m, false);
    var mine = m.client_msg_id &&
      list.querySelector('li.pending[data-client-msg-id="' + CSS.escape(m.client_msg_id) + '"]');
    if (mine) list.replaceChild(el, mine);
    else list.appendChild(el);
    if (m.id > lastId) lastId = m.id;
    scrollDown();
  }

  function showStatus(session) {
    root.dataset.status = session.status;
    var badge = root.querySelector("[data-testid=chat-status]");
    if (badge) badge.textContent = statuses[session.status] || session.status;
    if (session.case_id) root.querySelector("[data-testid=chat-case]").hidden = false;
    if (session.case_number) {
      var link = root.querySelector("[data-testid=chat-case-link]");
      link.href = "/cases/" + encodeURIComponent(session.case_number);
      link.textContent = session.case_number;
    }
    if (session.status === "closed") {
      stopped = true;
      root.querySelector("[data-testid=chat-closed]").hidden = false;
      if (form) form.hidden = true;
      var actions = root.querySelector(".chat-actions");
      if (actions) actions.hidden = true;
      if (socket) socket.close();  // nothing more can be said in a closed chat
    }
  }

  function showError(frame) {
    var el = root.querySelector(".chat-error");
    if (!el) {
      el = document.createElement("div");
      el.className = "errors chat-error";
      el.setAttribute("role", "alert");
      el.dataset.testid = "chat-error";
      list.parentNode.insertBefore(el, form || null);
    }
    // Error frames (api_chat._error_frame) and their fields carry message_zh / message_en.
    var detail = (frame.fields || []).map(function (f) {
      return (f.message_zh || "") + " / " + (f.message_en || "");
    });
    var whole = (frame.message_zh || "出错了") + " / " + (frame.message_en || "something went wrong");
    el.textContent = detail.length ? detail.join("；") : whole;
    el.hidden = false;
    if (frame.client_msg_id) {
      var pending = list.querySelector(
        'li.pending[data-client-msg-id="' + CSS.escape(frame.client_msg_id) + '"]');
      if (pending) {
        if (box && !box.value) box.value = pending.querySelector(".text").textContent;
        pending.remove();
      }
    }
  }

  function clearError() {
    var el = root.querySelector(".chat-error");
    if (el) el.hidden = true;
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss:" : "ws:";
    // The session cookie authenticates the socket; `after` skips lines already on the page.
    socket = new WebSocket(scheme + "//" + location.host + "/api/v1/chats/" + chatId +
      "/ws?after=" + lastId);
    socket.onopen = function () { retryMs = 500; live.hidden = false; };
    socket.onmessage = function (event) {
      var frame = JSON.parse(event.data);
      if (frame.type === "hello") {
        showStatus(frame.session);
        frame.messages.forEach(show);
      } else if (frame.type === "message") {
        show(frame.message);
      } else if (frame.type === "ack") {
        clearError();
        show(frame.message);
      } else if (frame.type === "session") {
        showStatus(frame.session);
      } else if (frame.type === "error") {
        showError(frame);
      }
    };
    socket.onclose = function (event) {
      live.hidden = true;
      socket = null;
      // 4xxx: refused (logged out, not yours) — retrying cannot help; the form still posts.
      if (stopped || event.code >= 4000) return;
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 10000);
    };
  }

  function send() {
    var body = box.value.trim();
    if (!body) return;
    seq += 1;
    var id = "web-" + Date.now().toString(36) + "-" + seq;
    socket.send(JSON.stringify({ type: "message", body: body, client_msg_id: id }));
    list.appendChild(lineElement(
      { sender_id: me, sender_role: "", body: body, client_msg_id: id }, true));
    list.lastChild.querySelector("b").textContent = "我 me";
    box.value = "";
    scrollDown();
  }

  if (form) {
    form.addEventListener("submit", function (event) {
      if (socket && socket.readyState === WebSocket.OPEN) {
        event.preventDefault();
        send();
      } // otherwise the browser posts the form and the page reloads
    });
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();  // isComposing: Enter also confirms a pinyin candidate
        form.requestSubmit();
      }
    });
  }

  setInterval(function () {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send('{"type":"ping"}');
  }, 30000);
  scrollDown();
  if (root.dataset.status !== "closed") connect();
})();
