// Starts the API explorer on /schema (web/api_docs.py). A file, not an inline script, so the
// Content-Security-Policy can forbid inline script everywhere.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  var csrfCookie = root.dataset.csrfCookie + "=";

  function csrfToken() {
    var pairs = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < pairs.length; i++) {
      if (pairs[i].indexOf(csrfCookie) === 0) {
        return decodeURIComponent(pairs[i].slice(csrfCookie.length));
      }
    }
    return null;
  }

  window.ui = SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: true,
    validatorUrl: null, // the default would ask validator.swagger.io about our schema
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    requestInterceptor: function (request) {
      // "Try it out" signed in by the page's cookie is a cookie-signed call like any other:
      // it needs the CSRF token. A call with a bearer token does not.
      var token = csrfToken();
      if (token && !request.headers.Authorization) {
        request.headers["X-CSRFToken"] = token;
      }
      return request;
    },
  });
})();
