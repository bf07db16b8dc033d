/* The network map on /network: draws the graph embedded in the page (#network-data) with
   Cytoscape.js. Names are drawn as canvas text and put in the page with textContent only. */
(function () {
  "use strict";

  var source = document.getElementById("network-data");
  if (!source || typeof window.cytoscape !== "function") return;
  var data = JSON.parse(source.textContent);
  var panel = document.getElementById("net-person");
  var maps = [];

  function colour(prefecture) {
    return data.palette[prefecture] || data.other;
  }

  function degrees(graph) {
    var degree = {};
    graph.edges.forEach(function (e) {
      degree[e.source] = (degree[e.source] || 0) + 1;
      degree[e.target] = (degree[e.target] || 0) + 1;
    });
    return degree;
  }

  function elements(graph, degree) {
    var out = [];
    graph.nodes.forEach(function (n) {
      out.push({
        group: "nodes",
        data: {
          id: "p" + n.id, person: n.id, label: n.name, organization: n.organization,
          prefecture: n.prefecture || "", colour: colour(n.prefecture), degree: degree[n.id] || 0
        }
      });
    });
    graph.edges.forEach(function (e) {
      out.push({
        group: "edges",
        data: { id: "t" + e.source + "-" + e.target, source: "p" + e.source, target: "p" + e.target, kind: e.kind, weight: e.weight, added: !!e.added }
      });
    });
    return out;
  }

  // One scale for every map on the page, so "before" and "after" compare at a glance.
  var maxDegree = 1, maxWeight = 1;
  Object.keys(data.maps).forEach(function (key) {
    var degree = degrees(data.maps[key]);
    Object.keys(degree).forEach(function (k) { maxDegree = Math.max(maxDegree, degree[k]); });
    data.maps[key].edges.forEach(function (e) { maxWeight = Math.max(maxWeight, e.weight); });
  });

  function style(graph) {
    return [
      {
        selector: "node",
        style: {
          "background-color": "data(colour)",
          "border-width": 1, "border-color": "#ffffff",
          "width": "mapData(degree, 0, " + maxDegree + ", 12, 34)",
          "height": "mapData(degree, 0, " + maxDegree + ", 12, 34)",
          "label": "data(label)", "font-size": 11, "color": "#1d2a35",
          "text-valign": "bottom", "text-margin-y": 3,
          "text-outline-color": "#ffffff", "text-outline-width": 2,
          "min-zoomed-font-size": 8
        }
      },
      {
        selector: "edge",
        style: {
          "curve-style": graph.edges.length > 1500 ? "haystack" : "straight",
          "line-color": "#8795a1", "opacity": 0.75,
          "width": maxWeight > 1 ? "mapData(weight, 1, " + maxWeight + ", 1, 5)" : 1.5
        }
      },
      { selector: "edge[kind = 'connection']", style: { "line-style": "solid", "line-color": "#53606b" } },
      { selector: "edge[kind = 'room']", style: { "line-style": "dashed", "line-dash-pattern": [6, 3] } },
      { selector: "edge[kind = 'survey']", style: { "line-style": "dotted" } },
      {
        selector: "edge[?added]",
        style: { "line-color": "#e07a1f", "opacity": 0.95, "width": "mapData(weight, 1, " + Math.max(maxWeight, 2) + ", 2, 6)" }
      },
      { selector: ".faded", style: { "opacity": 0.12, "text-opacity": 0 } },
      { selector: "node.chosen", style: { "border-width": 3, "border-color": "#1d2a35", "z-index": 10 } },
      { selector: "edge.near", style: { "opacity": 1, "line-color": "#1d2a35", "z-index": 9 } }
    ];
  }

  function show(node) {
    if (!panel) return;
    var person = node.data();
    panel.querySelector('[data-field="name"]').textContent = person.label;
    panel.querySelector('[data-field="organization"]').textContent = person.organization;
    panel.querySelector('[data-field="prefecture"]').textContent =
      (data.prefecture_names || {})[person.prefecture] || person.prefecture;
    panel.querySelector('[data-field="link"]').setAttribute("href", "/coordinators/" + encodeURIComponent(person.person));
    panel.hidden = false;
  }

  function highlight(id) {
    maps.forEach(function (cy) {
      cy.elements().removeClass("faded chosen near");
      if (!id) return;
      var node = cy.getElementById(id);
      if (node.empty()) return;
      var near = node.closedNeighborhood();
      cy.elements().not(near).addClass("faded");
      node.addClass("chosen");
      node.connectedEdges().addClass("near");
    });
  }

  var layoutOptions = {
    name: "cose", animate: false, randomize: true, fit: true, padding: 24,
    nodeRepulsion: function () { return 9000; }, idealEdgeLength: function () { return 70; },
    nodeOverlap: 12, componentSpacing: 80, gravity: 0.6
  };

  var byKey = {};
  document.querySelectorAll(".net-map[data-map]").forEach(function (container) {
    var graph = data.maps[container.getAttribute("data-map")];
    if (!graph || !graph.nodes.length) return;
    var degree = degrees(graph);
    var cy = window.cytoscape({
      container: container,
      elements: elements(graph, degree),
      style: style(graph),
      layout: { name: "preset" },
      minZoom: 0.1, maxZoom: 4,
      // Still until asked (the button), so a finger or a wheel over the map scrolls the page.
      userPanningEnabled: false, userZoomingEnabled: false, autoungrabify: true,
      boxSelectionEnabled: false
    });
    cy.on("tap", "node", function (event) {
      show(event.target);
      highlight(event.target.id());
    });
    cy.on("tap", function (event) {
      if (event.target === cy) highlight(null);
    });
    container.classList.add("net-waiting");
    maps.push(cy);
    byKey[container.getAttribute("data-map")] = cy;
  });

  // Lay out once, after the page has painted (the numbers and tables come first). Comparing two dates,
  // the "before" map reuses the "after" positions, so the two pictures differ only in ties.
  function layOut() {
    var main = byKey.after || byKey.network || byKey.before;
    if (!main) return;
    var box = main.container();
    var big = main.nodes().length > 150;
    // In the map's own proportions, so a tall phone map is filled rather than a wide strip.
    main.layout(Object.assign({}, layoutOptions, {
      numIter: big ? 500 : 1500,
      boundingBox: { x1: 0, y1: 0, w: box.clientWidth, h: box.clientHeight }
    })).run();
    if (byKey.before && main !== byKey.before) {
      byKey.before.nodes().forEach(function (node) {
        var twin = main.getElementById(node.id());
        if (twin.nonempty()) node.position(Object.assign({}, twin.position()));
      });
      byKey.before.fit(undefined, 24);
    }
  }
  window.requestAnimationFrame(function () {
    window.setTimeout(function () {
      layOut();
      maps.forEach(function (cy) { cy.container().classList.remove("net-waiting"); });
    }, 0);
  });

  var explore = document.querySelector(".net-explore");
  if (explore && maps.length) {
    explore.hidden = false;
    explore.addEventListener("click", function () {
      var on = explore.getAttribute("aria-pressed") !== "true";
      explore.setAttribute("aria-pressed", on ? "true" : "false");
      explore.textContent = explore.getAttribute(on ? "data-on" : "data-off");
      maps.forEach(function (cy) {
        cy.userPanningEnabled(on);
        cy.userZoomingEnabled(on);
        cy.autoungrabify(!on);
        if (!on) cy.fit(undefined, 24);
      });
    });
  }

  window.addEventListener("resize", function () {
    maps.forEach(function (cy) { cy.resize(); cy.fit(undefined, 24); });
  });
})();
