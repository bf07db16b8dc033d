// The live breakout room (docs/websocket.md): one websocket; lines kept in id order without
// duplicates; automatic reconnection with backoff that resumes with ?after=<highest id seen>;
// a composer whose unconfirmed lines are resent after a reconnect (their client_id makes the
// server store a resend once). Every body a person wrote is set with textContent, never as HTML.
// On a phone the page itself scrolls and the message box sticks to the bottom of the screen; on a
// wide screen the chat scrolls in its own box. The organizers' broadcasts are kept by the server
// (hello's extra `broadcasts`): each is shown once, and one dismissed stays dismissed.
(function () {
  "use strict";

  var root = document.getElementById("room");
  var textNode = document.getElementById("room-text");
  if (!root || !textNode || !("WebSocket" in window)) return;

  var T = JSON.parse(textNode.textContent);
  var roomId = root.dataset.roomId;
  var youId = Number(root.dataset.you);
  var organizer = root.dataset.organizer === "yes";
  var MAX_BODY = 2000;
  var PING_MS = 25000;
  var FIRST_RETRY_MS = 1000;
  var LAST_RETRY_MS = 30000;
  var WARN_SECONDS = 60;
  // Close codes after which trying again cannot help.
  var FINAL = { 4401: "login", 4403: "forbidden", 4404: "gone", 4410: "closed" };
  var TOO_MANY = 4429; // this person holds too many room sockets: try again, later than usual
  // Error codes this page knows (docs/websocket.md); any other is shown as an error.
  var RESEND_LATER = { rate_limited: 5000, unavailable: 3000 };
  var DISMISSED_KEY = "meetup.rooms.dismissed";

  var el = {
    scroll: document.getElementById("chat-scroll"),
    log: document.getElementById("chat-log"),
    pending: document.getElementById("chat-pending"),
    empty: document.getElementById("chat-empty"),
    status: document.getElementById("room-status"),
    broadcasts: document.getElementById("room-broadcasts"),
    timer: document.getElementById("room-timer"),
    countdown: document.getElementById("room-countdown"),
    warning: document.getElementById("room-warning"),
    members: document.getElementById("member-list"),
    memberCount: document.getElementById("member-count"),
    form: document.getElementById("composer"),
    body: document.getElementById("composer-body"),
    error: document.getElementById("composer-error")
  };

  var lines = new Map(); // message id -> its <li>
  var outbox = new Map(); // client_id -> {body, li}: sent or waiting, not yet echoed
  var lastId = 0; // the highest message id seen: where a reconnect resumes
  var youName = root.dataset.youName || "";
  var socket = null;
  var ready = false; // this socket has said hello
  var attempt = 0;
  var retryTimer = null;
  var pingTimer = null;
  var rateTimer = null;
  var finished = false; // the room closed or we may not be here: no more reconnecting
  var closesAt = null;
  var shownBroadcasts = new Set();

  // --- lines ------------------------------------------------------------------------------

  function hhmm(iso) {
    var match = /T(\d\d:\d\d)/.exec(iso || ""); // sent_at is already Tokyo time (+09:00)
    return match ? match[1] : "";
  }

  function codePoints(text) {
    return Array.from(text).length; // the server counts characters, not UTF-16 units
  }

  function scroller() {
    // the chat's own box where it scrolls (wide screens), else the page (phones)
    var own = getComputedStyle(el.scroll).overflowY;
    return own === "auto" || own === "scroll" ? el.scroll : document.scrollingElement || document.documentElement;
  }

  function bottomOf(box) {
    // the page: where the chat ends (its message box at the foot of the screen), not the footer
    if (box === el.scroll) return box.scrollHeight;
    var chat = el.scroll.parentElement.getBoundingClientRect();
    return Math.min(box.scrollHeight, chat.bottom + box.scrollTop + 8);
  }

  function nearBottom() {
    var box = scroller();
    return bottomOf(box) - box.scrollTop - box.clientHeight < 120;
  }

  function toBottom() {
    var box = scroller();
    box.scrollTop = bottomOf(box) - box.clientHeight;
  }

  function refreshEmpty() {
    el.empty.hidden = lines.size + outbox.size > 0;
  }

  function csrfToken() {
    var match = /(?:^|;\s*)csrftoken=([^;]+)/.exec(document.cookie);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function addDeleteButton(li, id) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "line-delete link";
    button.textContent = T["delete"];
    button.addEventListener("click", function () {
      if (!window.confirm(T.delete_confirm)) return;
      fetch("/api/v1/rooms/" + encodeURIComponent(roomId) + "/messages/" + id, {
        method: "DELETE",
        credentials: "same-origin",
        headers: { "x-csrftoken": csrfToken() }
      }).then(function (response) {
        if (!response.ok && response.status !== 404) throw new Error(String(response.status));
        removeLine(id);
      }).catch(function () { showError(T.delete_failed); });
    });
    li.querySelector(".line-meta").appendChild(button);
  }

  function lineElement(frame) {
    var li = document.createElement("li");
    li.className = "line";
    if (frame.author && frame.author.id === youId) li.classList.add("mine");
    var meta = document.createElement("div");
    meta.className = "line-meta";
    var author = document.createElement("span");
    author.className = "line-author";
    author.textContent = frame.author ? frame.author.display_name : T.former;
    var time = document.createElement("time");
    if (frame.sent_at) {
      time.dateTime = frame.sent_at;
      time.textContent = hhmm(frame.sent_at);
    }
    meta.appendChild(author);
    meta.appendChild(document.createTextNode(" "));
    meta.appendChild(time);
    var body = document.createElement("p");
    body.className = "line-body";
    body.textContent = frame.body;
    li.appendChild(meta);
    li.appendChild(body);
    if (typeof frame.id === "number") {
      li.id = "line-" + frame.id;
      li.dataset.id = String(frame.id);
      if (organizer) addDeleteButton(li, frame.id);
    }
    return li;
  }

  function addMessage(frame) {
    if (frame.client_id && frame.author && frame.author.id === youId && outbox.has(frame.client_id)) {
      outbox.get(frame.client_id).li.remove();
      outbox["delete"](frame.client_id);
    }
    if (typeof frame.id !== "number" || lines.has(frame.id)) {
      refreshEmpty();
      return;
    }
    var follow = nearBottom() || (frame.author && frame.author.id === youId);
    var li = lineElement(frame);
    var before = null; // lines come in order; a late one goes before the first higher id
    if (frame.id < lastId) {
      for (var node = el.log.lastElementChild; node; node = node.previousElementSibling) {
        if (Number(node.dataset.id) < frame.id) break;
        before = node;
      }
    }
    el.log.insertBefore(li, before);
    lines.set(frame.id, li);
    lastId = Math.max(lastId, frame.id);
    refreshEmpty();
    if (follow) toBottom();
  }

  function removeLine(id) {
    var li = lines.get(id);
    if (li) li.remove();
    lines["delete"](id);
    refreshEmpty();
  }

  // --- what else the room shows -------------------------------------------------------------

  function renderMembers(members) {
    if (!el.members) return;
    el.members.textContent = "";
    members.forEach(function (member) {
      var li = document.createElement("li");
      var mine = member.id === youId; // a function replacement: "$&" in a name stays as written
      li.textContent = mine ? T.you.replace("{name}", function () { return member.display_name; }) : member.display_name;
      if (mine) li.className = "me";
      el.members.appendChild(li);
    });
    if (el.memberCount) el.memberCount.textContent = String(members.length);
  }

  function dismissed() {
    try {
      return JSON.parse(window.localStorage.getItem(DISMISSED_KEY) || "[]");
    } catch (e) {
      return [];
    }
  }

  function remember(id) {
    try {
      var ids = dismissed().concat([id]).slice(-100);
      window.localStorage.setItem(DISMISSED_KEY, JSON.stringify(ids));
    } catch (e) { /* private mode: dismissed for this page only */ }
  }

  function addDismissButton(box) {
    var dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.className = "broadcast-dismiss";
    dismiss.setAttribute("aria-label", T.dismiss);
    dismiss.title = T.dismiss;
    dismiss.textContent = "×";
    dismiss.addEventListener("click", function () {
      if (box.dataset.id) remember(Number(box.dataset.id));
      box.remove();
    });
    box.appendChild(dismiss);
  }

  function showBroadcast(frame) {
    if (typeof frame.id === "number") {
      if (shownBroadcasts.has(frame.id) || dismissed().indexOf(frame.id) >= 0) return;
      shownBroadcasts.add(frame.id);
    }
    var box = document.createElement("div");
    box.className = "broadcast";
    if (typeof frame.id === "number") box.dataset.id = String(frame.id);
    var head = document.createElement("p");
    head.className = "broadcast-head";
    head.textContent = T.broadcast + (frame.sent_at ? " · " + hhmm(frame.sent_at) : "");
    var body = document.createElement("p");
    body.className = "broadcast-body";
    body.textContent = frame.body;
    box.appendChild(head);
    box.appendChild(body);
    addDismissButton(box);
    el.broadcasts.insertBefore(box, el.broadcasts.firstChild); // the newest on top
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function tick() {
    if (!closesAt) return;
    var left = Math.max(0, Math.ceil((closesAt.getTime() - Date.now()) / 1000));
    el.countdown.textContent = pad(Math.floor(left / 60)) + ":" + pad(left % 60);
    el.timer.classList.toggle("is-urgent", left <= WARN_SECONDS);
    var warn = !finished && left > 0 && left <= WARN_SECONDS;
    if (el.warning && el.warning.hidden === warn) {
      var follow = nearBottom(); // the message box grows: keep the last line above it
      el.warning.hidden = !warn;
      if (follow) toBottom();
    }
    if (left === 0 && !finished) el.countdown.title = T.time_up;
  }

  function setTimer(iso) {
    var when = iso ? new Date(iso) : null;
    closesAt = when && !isNaN(when.getTime()) ? when : null;
    el.timer.hidden = !closesAt;
    if (!closesAt && el.warning) el.warning.hidden = true;
    tick();
  }

  function showStatus(text, kind, linkText, href) {
    el.status.textContent = "";
    el.status.hidden = !text;
    el.status.className = "room-status" + (kind ? " is-" + kind : "");
    if (!text) return;
    el.status.appendChild(document.createTextNode(text));
    if (linkText) {
      var link = document.createElement("a");
      link.href = href;
      link.textContent = linkText;
      el.status.appendChild(document.createTextNode(" "));
      el.status.appendChild(link);
    }
  }

  function showError(text) {
    el.error.textContent = text || "";
    el.error.hidden = !text;
  }

  // --- sending ------------------------------------------------------------------------------

  function newClientId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    if (window.crypto && window.crypto.getRandomValues) window.crypto.getRandomValues(bytes);
    else for (var i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
    return Array.prototype.map.call(bytes, function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }

  function transmit(clientId) {
    var item = outbox.get(clientId);
    if (!item || !ready || !socket || socket.readyState !== WebSocket.OPEN) return; // sent after the next hello
    socket.send(JSON.stringify({ type: "say", body: item.body, client_id: clientId }));
  }

  function resendOutbox() {
    outbox.forEach(function (_item, clientId) { transmit(clientId); });
  }

  function markUnsent(test) {
    outbox.forEach(function (item, clientId) {
      if (test && !test(item.body)) return;
      item.li.classList.remove("is-pending");
      item.li.classList.add("is-failed");
      item.li.querySelector("time").textContent = T.not_sent;
      outbox["delete"](clientId);
    });
  }

  function send() {
    if (finished) return;
    var body = el.body.value.trim();
    if (!body) return showError(T.empty);
    if (codePoints(body) > MAX_BODY) return showError(T.too_long);
    showError("");
    var clientId = newClientId();
    var li = lineElement({ author: { id: youId, display_name: youName }, body: body, sent_at: null });
    li.classList.add("is-pending");
    li.querySelector("time").textContent = T.sending;
    el.pending.appendChild(li);
    outbox.set(clientId, { body: body, li: li });
    el.body.value = "";
    refreshEmpty();
    toBottom();
    transmit(clientId);
  }

  // --- the connection -----------------------------------------------------------------------

  function stopPing() {
    if (pingTimer) clearInterval(pingTimer);
    pingTimer = null;
  }

  function finish(reason) {
    finished = true;
    ready = false;
    socket = null;
    stopPing();
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = null;
    el.form.hidden = true;
    if (el.members) el.members.closest("aside").hidden = true; // nobody is in a room that is gone
    root.querySelector(".room-layout").classList.remove("is-live"); // the record reads as a page
    root.classList.remove("is-live");
    markUnsent(null);
    var roomsUrl = root.dataset.roomsUrl;
    if (reason === "closed") {
      setTimer(null);
      showStatus(T.closed, "closed", T.closed_link, roomsUrl);
    } else if (reason === "login") {
      showStatus(T.login, "error", T.login_link, root.dataset.loginUrl);
    } else {
      showStatus(T[reason], "error", T.closed_link, roomsUrl);
    }
  }

  function handle(frame) {
    switch (frame.type) {
      case "hello":
        ready = true;
        attempt = 0;
        youName = frame.you.display_name;
        showStatus("");
        frame.history.forEach(addMessage);
        (frame.broadcasts || []).forEach(showBroadcast);
        renderMembers(frame.members);
        setTimer(frame.room.closes_at);
        resendOutbox();
        break;
      case "message":
        addMessage(frame);
        break;
      case "presence":
        renderMembers(frame.members);
        break;
      case "deleted":
        removeLine(frame.id);
        break;
      case "broadcast":
        showBroadcast(frame);
        break;
      case "timer":
        setTimer(frame.closes_at);
        break;
      case "closed":
        finish("closed");
        break;
      case "error":
        if (Object.prototype.hasOwnProperty.call(RESEND_LATER, frame.code)) {
          showError(T[frame.code]);
          if (rateTimer) clearTimeout(rateTimer);
          // refused lines go again later; one stored meanwhile is stored once (its client_id)
          rateTimer = setTimeout(resendOutbox, RESEND_LATER[frame.code]);
        } else if (frame.code === "too_long" || frame.code === "empty") {
          showError(T[frame.code]);
          markUnsent(function (body) { return !body.trim() || codePoints(body) > MAX_BODY; });
        } else if (frame.code === "bad_frame") {
          showError(T.bad_frame);
        } else { // a code this page does not know: an error all the same
          showError(frame.detail ? T.error + " " + frame.detail : T.error);
        }
        break;
      default: // pong, and anything newer than this page
        break;
    }
  }

  function retry(atLeast) {
    if (finished || retryTimer) return;
    var ceiling = Math.max(atLeast || 0, Math.min(LAST_RETRY_MS, FIRST_RETRY_MS * Math.pow(2, attempt)));
    attempt += 1;
    retryTimer = setTimeout(connect, ceiling / 2 + Math.random() * ceiling / 2); // jitter spreads a crowd
  }

  function connect() {
    retryTimer = null;
    if (finished) return;
    var scheme = location.protocol === "https:" ? "wss:" : "ws:";
    var url = scheme + "//" + location.host + "/ws/rooms/" + encodeURIComponent(roomId) + (lastId ? "?after=" + lastId : "");
    var ws;
    try {
      ws = new WebSocket(url);
    } catch (e) {
      retry();
      return;
    }
    socket = ws;
    ready = false;
    window.__roomSocket = ws; // lets a browser test drop the connection
    ws.onopen = function () {
      stopPing();
      pingTimer = setInterval(function () {
        if (ws.readyState === WebSocket.OPEN) ws.send('{"type":"ping"}');
      }, PING_MS);
    };
    ws.onmessage = function (event) {
      if (ws !== socket) return;
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      handle(frame);
    };
    ws.onclose = function (event) {
      if (ws !== socket) return;
      socket = null;
      ready = false;
      stopPing();
      if (FINAL[event.code]) return finish(FINAL[event.code]);
      if (event.code === TOO_MANY) {
        showStatus(T.too_many, "error");
        return retry(LAST_RETRY_MS);
      }
      showStatus(T.reconnecting, "reconnecting");
      retry();
    };
  }

  // --- start ----------------------------------------------------------------------------------

  Array.prototype.forEach.call(el.broadcasts.querySelectorAll(".broadcast[data-id]"), function (box) {
    var id = Number(box.dataset.id);
    if (dismissed().indexOf(id) >= 0) return box.remove();
    shownBroadcasts.add(id);
    addDismissButton(box);
  });
  Array.prototype.forEach.call(el.log.querySelectorAll("li[data-id]"), function (li) {
    var id = Number(li.dataset.id);
    lines.set(id, li);
    lastId = Math.max(lastId, id);
    if (organizer) addDeleteButton(li, id);
  });

  el.form.hidden = false;
  el.form.addEventListener("submit", function (event) {
    event.preventDefault();
    send();
  });
  el.body.addEventListener("keydown", function (event) {
    // Enter sends, Shift+Enter is a new line; Enter that confirms a Japanese IME conversion is neither.
    if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    send();
  });
  window.addEventListener("online", function () {
    // The network is back: the backoff starts over. The browser may say "online" a moment before
    // connections go through, so the first attempt can still fail; it is then tried again within
    // a second, not after the 8–30 s the attempts made offline had grown the wait to.
    attempt = 0;
    if (finished || socket || !retryTimer) return;
    clearTimeout(retryTimer);
    retryTimer = null;
    connect();
  });

  setTimer(root.dataset.closesAt);
  setInterval(tick, 1000);
  setTimeout(function () {
    if (!ready && !finished && el.status.hidden) showStatus(T.connecting, "reconnecting");
  }, 1500);
  toBottom();
  connect();
})();
