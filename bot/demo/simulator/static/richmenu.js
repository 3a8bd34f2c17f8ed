/* The rich menu under the chat, as LINE shows it: the person's own menu, else the default one.
 * Fetched from /simulator/api/richmenu when the person changes or after each send (binding
 * changes the menu); a tap on an area runs its action like any button (window.simulatorAction).
 */
(function () {
  "use strict";

  var shown = { user: null, id: null };

  function render(menu) {
    var box = document.getElementById("rich-menu");
    if (!menu) {
      box.hidden = true;
      box.textContent = "";
      shown.id = null;
      return;
    }
    box.hidden = false;
    if (menu.id === shown.id && !menu.image) return;
    shown.id = menu.id;
    box.textContent = "";
    var bar = document.createElement("button");
    bar.type = "button";
    bar.className = "rich-menu-bar";
    bar.textContent = menu.chatBarText || "選單";
    bar.addEventListener("click", function () { box.classList.toggle("collapsed"); });
    var board = document.createElement("div");
    board.className = "rich-menu-board";
    var img = document.createElement("img");
    img.alt = "圖文選單";
    img.src = menu.image;
    board.appendChild(img);
    (menu.areas || []).forEach(function (area) {
      var b = area.bounds, hit = document.createElement("button");
      hit.type = "button";
      hit.className = "rich-menu-area";
      hit.title = (area.action && (area.action.label || area.action.text)) || "";
      hit.style.left = (100 * b.x / menu.size.width) + "%";
      hit.style.top = (100 * b.y / menu.size.height) + "%";
      hit.style.width = (100 * b.width / menu.size.width) + "%";
      hit.style.height = (100 * b.height / menu.size.height) + "%";
      hit.addEventListener("click", function () {
        if (window.simulatorAction) window.simulatorAction(area.action);
      });
      board.appendChild(hit);
    });
    box.appendChild(bar);
    box.appendChild(board);
  }

  function load(userId) {
    if (userId !== shown.user) shown.id = null;
    shown.user = userId;
    var url = document.body.dataset.api + "api/richmenu?user_id=" + encodeURIComponent(userId) + "&have=" + encodeURIComponent(shown.id || "");
    fetch(url, { headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) { if (shown.user === userId) render(data.rich_menu); })
      .catch(function () { /* no menu shown; the chat still works */ });
  }

  document.addEventListener("simulator:user", function (e) { load(e.detail); });
})();
