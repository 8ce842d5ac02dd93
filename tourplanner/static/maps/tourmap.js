/* tourplanner maps: draws one spec (stops, drive lines, circles, legend, layer toggles) on a Leaflet map.
 * Served by the app with Leaflet and Leaflet.markercluster; no CDN. Every string in a spec arrives
 * HTML-escaped by tourplanner.maps.escape_text, so it is set as markup as it is. */
(function (global) {
  "use strict";

  var BACKGROUND_PANE = "tourBackground";

  /* A map still readable without tiles: a labelled 5-degree graticule and state/province outlines. */
  function background(map, opts) {
    var pane = map.createPane(BACKGROUND_PANE);
    pane.style.zIndex = 250;
    pane.style.pointerEvents = "none";
    var grid = L.layerGroup().addTo(map);
    var lat, lon;
    for (lat = 15; lat <= 85; lat += 5) {
      L.polyline([[lat, -175], [lat, -45]], {
        pane: BACKGROUND_PANE, color: "#8a94a6", weight: lat % 10 === 0 ? 1 : 0.5,
        opacity: 0.7, interactive: false
      }).addTo(grid);
    }
    for (lon = -175; lon <= -45; lon += 5) {
      L.polyline([[15, lon], [85, lon]], {
        pane: BACKGROUND_PANE, color: "#8a94a6", weight: lon % 10 === 0 ? 1 : 0.5,
        opacity: 0.7, interactive: false
      }).addTo(grid);
    }
    for (lat = 20; lat <= 80; lat += 10) {
      for (lon = -170; lon <= -50; lon += 20) {
        L.marker([lat, lon], {
          pane: BACKGROUND_PANE, interactive: false, keyboard: false,
          icon: L.divIcon({className: "tour-grid-label", html: lat + "\u00b0N " + (-lon) + "\u00b0W", iconSize: null})
        }).addTo(grid);
      }
    }
    if (opts && opts.outlines && global.fetch) {
      global.fetch(opts.outlines, {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (data) {
            L.geoJSON(data, {
              pane: BACKGROUND_PANE, interactive: false,
              style: {color: "#4a5568", weight: 1, opacity: 0.8, fill: false}
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
    return L.divIcon({className: "tour-marker tour-marker--" + kind, html: html, iconSize: size});
  }

  function legendControl(spec) {
    var control = L.control({position: "bottomleft"});
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

  /* Draw a spec on a map: markers (clustered when asked), lines, circles, legend and layer toggles. */
  function draw(map, spec) {
    var dims = spec.dims || [];
    var on = dims.map(function (d) { return d.keys.map(function () { return true; }); });
    var bounds = L.latLngBounds([]);
    var markers = (spec.markers || []).map(function (m) {
      var layer = L.marker(m.p, {icon: markerIcon(m), title: m.title || "", riseOnHover: true});
      if (m.popup) { layer.bindPopup(m.popup, {maxWidth: 320}); }
      if (m.tip) { layer.bindTooltip(m.tip, {direction: "top", offset: [0, -10]}); }
      bounds.extend(m.p);
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
    if (bounds.isValid()) {
      map.fitBounds(bounds, {padding: [24, 24], maxZoom: spec.max_zoom || 12, animate: false});
    }

    var markerGroup = spec.cluster && L.markerClusterGroup ?
      L.markerClusterGroup({chunkedLoading: true, disableClusteringAtZoom: 10, maxClusterRadius: 40,
        showCoverageOnHover: false, spiderfyOnMaxZoom: true}) :
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

    if (spec.legend && spec.legend.length) { legendControl(spec).addTo(map); }

    map.getContainer().setAttribute("data-tour-markers", String(markers.length));
    map.getContainer().setAttribute("data-tour-lines", String(lines.length));
    return {markers: markers, lines: lines, refresh: refresh};
  }

  global.TourMap = {draw: draw, background: background};
})(window);
