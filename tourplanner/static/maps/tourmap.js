/* tourplanner maps: draws one spec (stops, drive lines, circles, legend, layer toggles) on a Leaflet map.
 * Served by the app with Leaflet and Leaflet.markercluster; no CDN. Every string in a spec arrives
 * HTML-escaped by tourplanner.maps.escape_text, so it is set as markup as it is. */
(function (global) {
  "use strict";

  var BACKGROUND_PANE = "tourBackground";

  /* Grid spacing in degrees for a zoom level: about five to ten lines across the view. */
  function gridStep(zoom) {
    if (zoom <= 3) { return 10; }
    if (zoom <= 5) { return 5; }
    if (zoom <= 6) { return 2; }
    if (zoom <= 7) { return 1; }
    if (zoom <= 9) { return 0.5; }
    if (zoom <= 11) { return 0.1; }
    return 0.02;
  }

  function degrees(value, step, positive, negative) {
    var digits = step >= 1 ? 0 : step >= 0.1 ? 1 : 2;
    return Math.abs(value).toFixed(digits) + "\u00b0" + (value >= 0 ? positive : negative);
  }

  /* A labelled latitude/longitude grid that follows the view, so any zoom has lines and numbers. */
  function graticule(map) {
    var group = L.layerGroup().addTo(map);
    var style = {pane: BACKGROUND_PANE, color: "#8a94a6", weight: 0.8, opacity: 0.7, interactive: false,
      className: "tour-grid"};
    function label(at, text, anchor) {
      L.marker(at, {pane: BACKGROUND_PANE, interactive: false, keyboard: false,
        icon: L.divIcon({className: "tour-grid-label", html: text, iconSize: null, iconAnchor: anchor})}).addTo(group);
    }
    function draw() {
      group.clearLayers();
      var step = gridStep(map.getZoom());
      var view = map.getBounds();
      var b = view.pad(0.25);
      var south = Math.max(-80, Math.floor(b.getSouth() / step) * step);
      var north = Math.min(84, Math.ceil(b.getNorth() / step) * step);
      var west = Math.max(-180, Math.floor(b.getWest() / step) * step);
      var east = Math.min(180, Math.ceil(b.getEast() / step) * step);
      var i, v;
      for (i = 0; (v = south + i * step) <= north + 1e-9 && i < 200; i++) {
        L.polyline([[v, west], [v, east]], style).addTo(group);
        if (v > view.getSouth() && v < view.getNorth()) { label([v, view.getWest()], degrees(v, step, "N", "S"), [-4, 12]); }
      }
      for (i = 0; (v = west + i * step) <= east + 1e-9 && i < 200; i++) {
        L.polyline([[south, v], [north, v]], style).addTo(group);
        if (v > view.getWest() && v < view.getEast()) { label([view.getSouth(), v], degrees(v, step, "E", "W"), [-3, 28]); }
      }
    }
    map.on("moveend", draw);
    draw();
  }

  /* A map still readable without tiles: the graticule and state/province outlines served by the app. */
  function background(map, opts) {
    var pane = map.createPane(BACKGROUND_PANE);
    pane.style.zIndex = 250;
    pane.style.pointerEvents = "none";
    map.whenReady(function () { graticule(map); });
    if (opts && opts.outlines && global.fetch) {
      global.fetch(opts.outlines, {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (data) {
            L.geoJSON(data, {
              pane: BACKGROUND_PANE, interactive: false,
              style: {color: "#4a5568", weight: 1, opacity: 0.8, fill: false, className: "tour-outline"}
            }).addTo(map);
          }
        })
        .catch(function () { /* the graticule alone still orients the reader */ });
    }
  }

  function markerIcon(m) {
    var kind = m.kind || "stop";
    var html = '<span class="tour-pin" style="background:' + m.c + '">' + (m.n || "") + "</span>";
    var size = [24, 24];
    if (kind === "sleep") {
      html = '<span class="tour-pin tour-pin--sleep" style="border-color:' + m.c + '">&#9790;</span>';
      size = [26, 26];
    } else if (kind === "start") {
      html = '<span class="tour-pin tour-pin--start" style="border-color:' + m.c + '">S</span>';
      size = [26, 26];
    } else if (kind === "dot") {
      html = '<span class="tour-dot" style="background:' + m.c + '"></span>';
      size = [14, 14];
    } else if (kind === "unserved") {
      html = '<span class="tour-pin tour-pin--unserved" style="border-color:' + m.c + '">!</span>';
      size = [24, 24];
    } else if (kind === "town") {
      html = '<span class="tour-town" style="background:' + m.c + '">' + (m.n || "") + "</span>";
      size = [22, 22];
    }
    var anchor = [size[0] / 2 - ((m.shift && m.shift[0]) || 0), size[1] / 2 - ((m.shift && m.shift[1]) || 0)];
    return L.divIcon({className: "tour-marker tour-marker--" + kind, html: html, iconSize: size, iconAnchor: anchor});
  }

  /* A cluster as a small pie of its stops' colours (teams or statuses), with the count in the middle. */
  function clusterIcon(cluster) {
    var children = cluster.getAllChildMarkers();
    var counts = {};
    children.forEach(function (m) { var c = m.options.tourColour || "#555555"; counts[c] = (counts[c] || 0) + 1; });
    var stops = [], at = 0;
    Object.keys(counts).sort(function (a, b) { return counts[b] - counts[a]; }).forEach(function (c) {
      var to = at + 100 * counts[c] / children.length;
      stops.push(c + " " + at.toFixed(1) + "% " + to.toFixed(1) + "%");
      at = to;
    });
    var size = children.length < 10 ? 30 : children.length < 100 ? 36 : 42;
    return L.divIcon({
      className: "tour-marker tour-marker--cluster", iconSize: [size, size],
      html: '<span class="tour-cluster" style="background:conic-gradient(' + stops.join(",") + ')"><span>' +
        children.length + "</span></span>"
    });
  }

  function legendControl(spec) {
    var control = L.control({position: spec.legend_position || "bottomleft"});
    control.onAdd = function () {
      var div = L.DomUtil.create("div", "tour-legend");
      var html = spec.legend_title ? "<strong>" + spec.legend_title + "</strong>" : "";
      spec.legend.forEach(function (item) {
        html += '<div class="tour-legend-row"><span class="tour-legend-key tour-legend-key--' +
          (item.shape || "stop") + '" style="background:' + item.c + ";border-color:" + item.c +
          '"></span> ' + item.label + "</div>";
      });
      div.innerHTML = html;
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    return control;
  }

  /* Permanent labels of a small map, in order: each takes the side (inward first) where it overlaps no
     earlier label and stays inside the map; failing both, it moves down below the one it hits. */
  function untangle(map, markers) {
    var box = map.getContainer().getBoundingClientRect();
    var placed = [];
    function hits(a) {
      return placed.filter(function (b) { return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom; });
    }
    function inside(a) { return a.left >= box.left && a.right <= box.right; }
    markers.forEach(function (m) {
      var tip = m.layer.getTooltip && m.layer.getTooltip();
      if (!tip || !tip.options.permanent || !tip.getElement()) { return; }
      var shift = m.layer._tourShift;
      var first = tip.options.direction;
      var sides = [first, first === "left" ? "right" : "left"];
      function put(side, dy) {
        tip.options.direction = side;
        tip.options.offset = L.point((side === "left" ? -12 : 12) + shift[0], shift[1] + dy);
        tip.update();
        return tip.getElement().getBoundingClientRect();
      }
      var rect = null;
      for (var i = 0; i < sides.length; i++) {
        rect = put(sides[i], 0);
        if (!hits(rect).length && inside(rect)) { placed.push(rect); return; }
      }
      rect = put(first, 0);
      var below = Math.max.apply(null, hits(rect).map(function (b) { return b.bottom; }).concat([rect.top]));
      placed.push(put(first, below - rect.top + 2));
    });
  }

  /* Draw a spec on a map: markers (clustered when asked), lines, circles, legend and layer toggles. */
  function draw(map, spec) {
    var dims = spec.dims || [];
    var on = dims.map(function (d) { return d.keys.map(function () { return true; }); });
    var bounds = L.latLngBounds([]);
    (spec.markers || []).forEach(function (m) { bounds.extend(m.p); });
    var middle = bounds.isValid() ? bounds.getCenter().lng : 0;
    var markers = (spec.markers || []).map(function (m) {
      var layer = L.marker(m.p, {icon: markerIcon(m), riseOnHover: true, tourColour: m.c, zIndexOffset: m.z || 0});
      if (m.popup) { layer.bindPopup(m.popup, {maxWidth: 320}); }
      if (m.tip) {
        var side = m.label === "left" ? "left" : "right";
        if (m.label && spec.labels_inward) { side = m.p[1] <= middle ? "right" : "left"; }
        var shift = m.shift || [0, 0];  // a moved icon takes its label along
        var dx = (side === "left" ? -12 : 12) + shift[0];
        layer.bindTooltip(m.tip, m.label ?
          {permanent: true, direction: side, offset: [dx, shift[1]],
            className: spec.labels_inward ? "tour-label tour-label--wrap" : "tour-label"} :
          {direction: "top", offset: [0, -10]});
      }
      layer._tourShift = m.shift || [0, 0];
      return {k: m.k || [], layer: layer};
    });
    var lines = (spec.lines || []).map(function (l) {
      var layer = L.polyline(l.pts, {color: l.c, weight: l.w || 3, opacity: 0.85, dashArray: l.dash || null,
        className: "tour-line"});
      if (l.tip) { layer.bindTooltip(l.tip, {sticky: true}); }
      l.pts.forEach(function (p) { bounds.extend(p); });
      return {k: l.k || [], layer: layer};
    });
    (spec.circles || []).forEach(function (c) {
      var layer = L.circle(c.p, {radius: c.r, color: c.c, weight: 2, fillOpacity: 0.15, className: "tour-circle"});
      if (c.popup) { layer.bindPopup(c.popup); }
      layer.addTo(map);
    });

    // Fit first: clusters are then built once, at the zoom the reader sees.
    (spec.circles || []).forEach(function (c) {
      var r = c.r / 111320;
      bounds.extend([c.p[0] - r, c.p[1] - r]);
      bounds.extend([c.p[0] + r, c.p[1] + r]);
    });
    var legend = spec.legend && spec.legend.length ? legendControl(spec) : null;
    var fit = {padding: [24, 24], maxZoom: spec.max_zoom || 12, animate: false};
    if (legend && spec.legend_position === "topright") {
      legend.addTo(map);  // first, so the view can leave room below it
      var room = legend.getContainer().offsetHeight + 20;
      var attribution = map.attributionControl ? map.attributionControl.getContainer().offsetHeight : 0;
      fit = {paddingTopLeft: [24, room], paddingBottomRight: [24, attribution + 44], maxZoom: fit.maxZoom,
        animate: false};
    }
    if (bounds.isValid()) {
      map.fitBounds(bounds, fit);
    }

    var markerGroup = spec.cluster && L.markerClusterGroup ?
      L.markerClusterGroup({chunkedLoading: true, disableClusteringAtZoom: 10, maxClusterRadius: 40,
        showCoverageOnHover: false, spiderfyOnMaxZoom: true, iconCreateFunction: clusterIcon}) :
      L.featureGroup();
    var lineGroup = L.featureGroup();
    lineGroup.addTo(map);
    markerGroup.addTo(map);

    function visible(k) {
      for (var i = 0; i < k.length && i < on.length; i++) {
        if (!on[i][k[i]]) { return false; }
      }
      return true;
    }

    function refresh() {
      var shown = markers.filter(function (m) { return visible(m.k); }).map(function (m) { return m.layer; });
      markerGroup.clearLayers();
      if (markerGroup.addLayers) { markerGroup.addLayers(shown); } else { shown.forEach(function (l) { markerGroup.addLayer(l); }); }
      lineGroup.clearLayers();
      lines.forEach(function (l) { if (visible(l.k)) { lineGroup.addLayer(l.layer); } });
    }

    if (dims.length) {
      var control = L.control.layers(null, null, {collapsed: spec.collapsed !== false, sortLayers: false});
      dims.forEach(function (d, i) {
        d.keys.forEach(function (label, j) {
          var handle = L.layerGroup();
          handle._tourToggle = [i, j];
          handle.addTo(map);
          control.addOverlay(handle, label);
        });
      });
      control.addTo(map);
      map.on("overlayadd overlayremove", function (e) {
        var t = e.layer && e.layer._tourToggle;
        if (t) {
          on[t[0]][t[1]] = e.type === "overlayadd";
          refresh();
        }
      });
    }
    refresh();

    if (legend && !legend._map) { legend.addTo(map); }
    if (spec.labels_inward) { untangle(map, markers); }

    map.getContainer().setAttribute("data-tour-markers", String(markers.length));
    map.getContainer().setAttribute("data-tour-lines", String(lines.length));
    return {markers: markers, lines: lines, refresh: refresh};
  }

  global.TourMap = {draw: draw, background: background};
})(window);
