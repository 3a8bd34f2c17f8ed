/* Renders LINE message JSON (text, template, Flex) as DOM, the way LINE shows it.
 * Every piece of text goes through textContent: nothing here parses HTML.
 * window.LineRender.message(msg, onAction) -> HTMLElement
 */
(function () {
  "use strict";

  var SIZES_TEXT = { xxs: 11, xs: 13, sm: 14, md: 16, lg: 19, xl: 22, xxl: 29, "3xl": 35, "4xl": 48, "5xl": 74 };
  var SPACE = { none: 0, xs: 2, sm: 4, md: 8, lg: 12, xl: 16, xxl: 20 };
  var RADIUS = { none: 0, xs: 2, sm: 4, md: 8, lg: 12, xl: 16, xxl: 20 };
  var BORDER = { none: 0, light: 0.5, normal: 1, medium: 2, "semi-bold": 3, bold: 4 };
  var IMAGE = { xxs: 40, xs: 60, sm: 80, md: 100, lg: 120, xl: 140, xxl: 160, "3xl": 180, "4xl": 200, "5xl": 240 };
  var ICON = { xxs: 11, xs: 13, sm: 14, md: 16, lg: 19, xl: 22, xxl: 29, "3xl": 35, "4xl": 48, "5xl": 74 };
  var BUBBLE = { nano: 120, micro: 160, deca: 220, hecto: 241, kilo: 260, mega: 300, giga: 386 };
  var JUSTIFY = { "flex-start": "flex-start", "flex-end": "flex-end", center: "center",
    "space-between": "space-between", "space-around": "space-around", "space-evenly": "space-evenly" };

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function px(value, table) {
    if (value === undefined || value === null) return null;
    if (table && Object.prototype.hasOwnProperty.call(table, value)) return table[value] + "px";
    if (/^-?\d+(\.\d+)?(px|%)$/.test(String(value))) return String(value);
    return null;
  }

  function color(value) {
    return /^#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$/.test(String(value || "")) ? value : null;
  }

  function clickable(node, action, onAction) {
    if (!action) return;
    node.classList.add("has-action");
    node.setAttribute("role", "button");
    node.tabIndex = 0;
    node.title = action.label || action.displayText || action.text || "";
    node.addEventListener("click", function (e) { e.stopPropagation(); onAction(action); });
  }

  /* -- Flex components ------------------------------------------------------ */
  function applyCommon(node, c, parentLayout, index, parentSpacing) {
    var row = parentLayout === "horizontal" || parentLayout === "baseline";
    var f = c.flex !== undefined ? c.flex : (row ? 1 : 0);
    if (c.type === "filler") f = c.flex !== undefined ? c.flex : 1;
    if (f > 0) {
      node.style.flex = row ? f + " 0 0" : f + " 0 auto";
    } else {
      node.style.flex = "0 0 auto";
    }
    if (row) node.style.minWidth = "0";
    // LINE ignores the margin of a box's first component; otherwise margin overrides spacing.
    var gap = c.margin !== undefined ? px(c.margin, SPACE) : px(parentSpacing, SPACE);
    if (index > 0 && gap) {
      node.style[row ? "marginLeft" : "marginTop"] = gap;
    }
    if (c.position === "absolute") {
      node.style.position = "absolute";
      ["Top", "Bottom", "Start", "End"].forEach(function (side) {
        var v = px(c["offset" + side], SPACE);
        if (v) node.style[{ Top: "top", Bottom: "bottom", Start: "left", End: "right" }[side]] = v;
      });
    } else if (c.offsetTop || c.offsetStart) {
      node.style.position = "relative";
      if (px(c.offsetTop, SPACE)) node.style.top = px(c.offsetTop, SPACE);
      if (px(c.offsetStart, SPACE)) node.style.left = px(c.offsetStart, SPACE);
    }
    if (c.alignSelf) node.style.alignSelf = c.alignSelf;
  }

  function box(c, onAction) {
    var layout = c.layout || "vertical";
    var node = el("div", "flex-box flex-" + layout);
    node.style.position = "relative";
    var bg = color(c.backgroundColor);
    if (bg) node.style.backgroundColor = bg;
    var bc = color(c.borderColor);
    var bw = px(c.borderWidth, BORDER);
    if (bw) node.style.border = bw + " solid " + (bc || "#000000");
    var r = px(c.cornerRadius, RADIUS);
    if (r) { node.style.borderRadius = r; node.style.overflow = "hidden"; }
    var pad = px(c.paddingAll, SPACE);
    if (pad) node.style.padding = pad;
    [["paddingTop", "paddingTop"], ["paddingBottom", "paddingBottom"], ["paddingStart", "paddingLeft"],
      ["paddingEnd", "paddingRight"]].forEach(function (p) {
      var v = px(c[p[0]], SPACE);
      if (v) node.style[p[1]] = v;
    });
    ["width", "height", "maxWidth", "maxHeight"].forEach(function (k) {
      var v = px(c[k]);
      if (v) node.style[k] = v;
    });
    if (JUSTIFY[c.justifyContent]) node.style.justifyContent = JUSTIFY[c.justifyContent];
    if (c.alignItems) node.style.alignItems = c.alignItems;
    (c.contents || []).forEach(function (child, i) {
      var childNode = component(child, onAction, layout);
      if (!childNode) return;
      applyCommon(childNode, child, layout, i, c.spacing);
      node.appendChild(childNode);
    });
    clickable(node, c.action, onAction);
    return node;
  }

  function textStyle(node, c) {
    var size = px(c.size, SIZES_TEXT);
    if (size) node.style.fontSize = size;
    if (c.weight === "bold") node.style.fontWeight = "700";
    if (c.style === "italic") node.style.fontStyle = "italic";
    if (c.decoration === "underline") node.style.textDecoration = "underline";
    if (c.decoration === "line-through") node.style.textDecoration = "line-through";
    var col = color(c.color);
    if (col) node.style.color = col;
  }

  function text(c, onAction) {
    var node = el("div", "flex-text");
    if (c.contents && c.contents.length) {
      c.contents.forEach(function (span) {
        if (span.type !== "span") return;
        var s = el("span", "flex-span", span.text);
        textStyle(s, span);
        node.appendChild(s);
      });
    } else {
      node.textContent = c.text || "";
    }
    textStyle(node, c);
    node.style.textAlign = { start: "left", end: "right", center: "center" }[c.align] || "left";
    if (c.gravity) node.style.alignSelf = { top: "flex-start", bottom: "flex-end", center: "center" }[c.gravity];
    if (c.wrap) {
      node.classList.add("wrap");
      if (c.maxLines) { node.style.webkitLineClamp = String(c.maxLines); node.classList.add("clamp"); }
      if (c.lineSpacing && px(c.lineSpacing)) node.style.lineHeight = "calc(1.4em + " + px(c.lineSpacing) + ")";
    } else {
      node.classList.add("nowrap");
    }
    clickable(node, c.action, onAction);
    return node;
  }

  function button(c, onAction) {
    var style = c.style || "link";
    var node = el("button", "flex-button flex-button-" + style + " flex-button-" + (c.height || "md"));
    node.type = "button";
    node.appendChild(el("span", "flex-button-label", (c.action && c.action.label) || ""));
    var col = color(c.color);
    if (col) {
      if (style === "link") node.style.color = col; else node.style.backgroundColor = col;
    }
    if (c.action) {
      node.title = c.action.label || "";
      node.addEventListener("click", function (e) { e.stopPropagation(); onAction(c.action); });
    }
    return node;
  }

  function image(c, onAction, hero) {
    var node = el("div", "flex-image" + (hero ? " hero" : ""));
    var ratio = /^(\d+(\.\d+)?):(\d+(\.\d+)?)$/.exec(c.aspectRatio || "1:1");
    var size = c.size || (hero ? "full" : "md");
    if (size === "full") node.style.width = "100%";
    else node.style.width = px(size, IMAGE) || "100px";
    if (ratio) node.style.aspectRatio = ratio[1] + " / " + ratio[3];
    var bg = color(c.backgroundColor);
    if (bg) node.style.backgroundColor = bg;
    node.appendChild(el("span", "flex-image-label", "圖片"));
    if (c.url) node.title = c.url;
    clickable(node, c.action, onAction);
    var wrap = el("div", "flex-image-wrap");
    wrap.style.justifyContent = { start: "flex-start", end: "flex-end" }[c.align] || "center";
    wrap.appendChild(node);
    return wrap;
  }

  function component(c, onAction, parentLayout) {
    if (!c || typeof c !== "object") return null;
    switch (c.type) {
      case "box": return box(c, onAction);
      case "text": return text(c, onAction);
      case "button": return button(c, onAction);
      case "image": return image(c, onAction, false);
      case "separator": {
        var sep = el("div", "flex-separator " + (parentLayout === "vertical" ? "h" : "v"));
        var sc = color(c.color);
        if (sc) sep.style.backgroundColor = sc;
        return sep;
      }
      case "spacer": {
        var sp = el("div", "flex-spacer");
        sp.style.height = px(c.size || "md", SPACE) || "8px";
        return sp;
      }
      case "filler": return el("div", "flex-filler");
      case "icon": {
        var icon = el("span", "flex-icon");
        var s = px(c.size || "md", ICON) || "16px";
        icon.style.width = s; icon.style.height = s;
        return icon;
      }
      case "video": return image({ aspectRatio: c.aspectRatio || "16:9", size: "full" }, onAction, true);
      default: return el("div", "flex-unknown", "（不支援的元件：" + c.type + "）");
    }
  }

  function bubble(b, onAction) {
    var node = el("div", "flex-bubble");
    node.style.width = (BUBBLE[b.size] || BUBBLE.mega) + "px";
    var styles = b.styles || {};
    ["header", "hero", "body", "footer"].forEach(function (part) {
      if (!b[part]) return;
      var block = el("div", "flex-block flex-" + part);
      var st = styles[part] || {};
      if (color(st.backgroundColor)) block.style.backgroundColor = st.backgroundColor;
      if (st.separator) block.classList.add("with-separator");
      var content = b[part].type === "image" ? image(b[part], onAction, true) : component(b[part], onAction, "vertical");
      // The block's box carries the block's default padding (LINE: header/body 20px, footer 10px), which
      // its own paddingAll/padding* replace; its backgroundColor fills the block edge to edge.
      if (content && b[part].type === "box") content.classList.add("flex-root", "flex-root-" + part);
      if (content) block.appendChild(content);
      node.appendChild(block);
    });
    clickable(node, b.action, onAction);
    return node;
  }

  function flex(contents, onAction) {
    if (contents && contents.type === "carousel") {
      var row = el("div", "flex-carousel");
      (contents.contents || []).forEach(function (b) { row.appendChild(bubble(b, onAction)); });
      return row;
    }
    return bubble(contents || {}, onAction);
  }

  /* -- template messages ---------------------------------------------------- */
  function templateActions(actions, onAction, horizontal) {
    var list = el("div", "tpl-actions" + (horizontal ? " horizontal" : ""));
    (actions || []).forEach(function (a) {
      var b = el("button", "tpl-action", a.label || "");
      b.type = "button";
      b.addEventListener("click", function () { onAction(a); });
      list.appendChild(b);
    });
    return list;
  }

  function templateCard(t, onAction) {
    var card = el("div", "tpl-card");
    if (t.thumbnailImageUrl) {
      var img = el("div", "flex-image tpl-thumb");
      img.appendChild(el("span", "flex-image-label", "圖片"));
      card.appendChild(img);
    }
    var inner = el("div", "tpl-body");
    if (t.title) inner.appendChild(el("div", "tpl-title", t.title));
    inner.appendChild(el("div", "tpl-text", t.text || ""));
    card.appendChild(inner);
    card.appendChild(templateActions(t.actions, onAction, false));
    return card;
  }

  function template(t, onAction) {
    if (!t) return el("div", "bubble text", "");
    if (t.type === "confirm") {
      var card = el("div", "tpl-card confirm");
      card.appendChild(el("div", "tpl-body tpl-text", t.text || ""));
      card.appendChild(templateActions(t.actions, onAction, true));
      return card;
    }
    if (t.type === "carousel" || t.type === "image_carousel") {
      var row = el("div", "flex-carousel");
      (t.columns || []).forEach(function (col) {
        if (t.type === "image_carousel") {
          var c = el("div", "tpl-card");
          var img = el("div", "flex-image tpl-thumb");
          img.appendChild(el("span", "flex-image-label", "圖片"));
          c.appendChild(img);
          c.appendChild(templateActions([col.action], onAction, false));
          row.appendChild(c);
        } else {
          row.appendChild(templateCard(col, onAction));
        }
      });
      return row;
    }
    return templateCard(t, onAction);
  }

  /* -- one message ---------------------------------------------------------- */
  var PLACEHOLDER = { image: "[圖片]", video: "[影片]", audio: "[語音訊息]", sticker: "[貼圖]", location: "[位置資訊]",
    imagemap: "[圖片訊息]", file: "[檔案]" };

  /* LINE makes the web addresses in a text message tappable; so does the simulator (http and https only,
   * each piece put in with textContent). */
  var URL_RE = /https?:\/\/[^\s<>"'）」]+/g;

  function linkified(text) {
    var t = el("div", "bubble text");
    var last = 0, m;
    URL_RE.lastIndex = 0;
    while ((m = URL_RE.exec(text)) !== null) {
      if (m.index > last) t.appendChild(document.createTextNode(text.slice(last, m.index)));
      var a = el("a", "link", m[0]);
      a.href = m[0];
      a.target = "_blank";
      a.rel = "noopener";
      t.appendChild(a);
      last = m.index + m[0].length;
    }
    if (last < text.length) t.appendChild(document.createTextNode(text.slice(last)));
    return t;
  }

  function message(msg, onAction) {
    if (msg.type === "text") {
      return linkified(msg.text || "");
    }
    if (msg.type === "flex") {
      var f = el("div", "flex-message");
      f.appendChild(flex(msg.contents, onAction));
      f.title = msg.altText || "";
      return f;
    }
    if (msg.type === "template") {
      var w = el("div", "template-message");
      w.appendChild(template(msg.template, onAction));
      return w;
    }
    if (msg.type === "location") {
      return el("div", "bubble text placeholder", "[位置資訊] " + (msg.title || "") + "\n" + (msg.address || ""));
    }
    return el("div", "bubble text placeholder", PLACEHOLDER[msg.type] || "[" + msg.type + "]");
  }

  window.LineRender = { message: message };
})();
