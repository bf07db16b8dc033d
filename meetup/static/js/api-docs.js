// Starts the vendored Swagger UI on /schema; "Try it out" sends the CSRF token as the site's forms do.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || !window.SwaggerUIBundle) return;

  function csrfToken() {
    var found = document.cookie.split("; ").find(function (row) { return row.indexOf("csrftoken=") === 0; });
    return found ? decodeURIComponent(found.slice("csrftoken=".length)) : undefined;
  }

  window.SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    domNode: root,
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    requestInterceptor: function (request) {
      var token = csrfToken();
      if (token !== undefined) request.headers["x-csrftoken"] = token;
      return request;
    }
  });
})();
