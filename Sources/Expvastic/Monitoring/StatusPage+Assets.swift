import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticPipeline

/// The status page's inline style and script (no external assets, so it works offline and behind any
/// proxy).
extension StatusPage {
    /// Light by default, dark when the browser prefers it; tables scroll sideways on narrow windows.
    package static let css = #"""
        :root{--bg:#fff;--fg:#1b1f24;--muted:#5b6470;--line:#d9dee4;--head:#f3f5f7;--up:#1a7f37;--fail:#cf222e;
        --back:#9a6700;--unknown:#6e7781;--link:#0969da;--spark:#0969da}
        @media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#8d96a0;--line:#30363d;
        --head:#161b22;--up:#3fb950;--fail:#f85149;--back:#d29922;--unknown:#8d96a0;--link:#58a6ff;--spark:#58a6ff}}
        *{box-sizing:border-box}
        body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif}
        header{display:flex;flex-wrap:wrap;gap:.4rem 1rem;align-items:baseline;padding:.6rem 1rem;
        border-bottom:1px solid var(--line);background:var(--head)}
        h1{font-size:1.2rem;margin:0}h2{font-size:1rem;margin:1.2rem 0 .4rem}
        main{padding:0 1rem 2rem}a{color:var(--link)}small,.count,#generated{color:var(--muted)}
        .live{margin-left:auto}.stale{color:var(--fail)}
        #summary{display:flex;flex-wrap:wrap;gap:.4rem;margin-top:.8rem}
        .chip{border:1px solid var(--line);border-radius:1rem;padding:.1rem .6rem;text-decoration:none;color:var(--fg)}
        .chip.up{border-color:var(--up)}.chip.failing{border-color:var(--fail)}.chip.backing_off{border-color:var(--back)}
        .scroll{overflow-x:auto}
        table{border-collapse:collapse;width:100%}
        th,td{border-bottom:1px solid var(--line);padding:.3rem .5rem;text-align:left;vertical-align:top}
        th{background:var(--head);white-space:nowrap}th a{text-decoration:none}
        .num{text-align:right;white-space:nowrap}
        .endpoint{word-break:break-all;min-width:12rem}
        .error{white-space:pre-wrap;word-break:break-word;min-width:14rem;max-width:40rem;color:var(--fail)}
        .state{font-weight:600;white-space:nowrap}
        .state.up,.state.connected,.state.ok,.state.live{color:var(--up)}
        .state.failing,.state.blocked,.state.expired{color:var(--fail)}
        .state.backing_off,.state.spooling,.state.connecting{color:var(--back)}.state.unknown{color:var(--unknown)}
        .label{display:inline-block;border:1px solid var(--line);border-radius:.3rem;padding:0 .3rem;margin:1px 0;
        font-size:12px}
        .spark polyline{fill:none;stroke:var(--spark);stroke-width:1.5}.spark circle{fill:var(--fail)}
        form{display:flex;flex-wrap:wrap;gap:.4rem;margin:.4rem 0}
        input[type=search]{flex:1 1 14rem;min-width:0}
        input,select,button{font:inherit;color:var(--fg);background:var(--bg);border:1px solid var(--line);
        border-radius:.3rem;padding:.2rem .4rem}
        .pager{display:flex;gap:1rem;margin:.6rem 0}.empty{color:var(--muted)}
        @media (max-width:640px){main{padding:0 .4rem 1rem}th,td{padding:.25rem}}
        @media (max-width:700px){.cards,.cards tbody,.cards tr,.cards td{display:block;width:100%}
        .cards thead,.cards thead tr{display:block}.cards th{display:inline-block;border:0;background:none}
        .cards th:not(:has(a)){display:none}
        .cards tbody tr{border:1px solid var(--line);border-radius:.4rem;margin:.4rem 0;padding:.3rem .5rem}
        .cards td{border:0;padding:.1rem 0;min-width:0;max-width:none;text-align:left;white-space:normal}
        .cards td.error{white-space:pre-wrap}.cards td.job{font-weight:600}.cards td:empty{display:none}
        .cards td[data-label]::before{content:attr(data-label) ": ";color:var(--muted)}}
        """#

    /// Live refresh (every ``refreshMilliseconds`` while "live" is checked and the tab is visible), filter
    /// as you type, and sorting and paging without a full reload: each fetches the same page with the new
    /// query and swaps the changed sections in. Records when the page became interactive in
    /// `body[data-interactive-ms]` (`performance.now()` at DOMContentLoaded).
    static let script = #"""
        (function () {
          "use strict";
          var d = document;
          function ready() { d.body.setAttribute("data-interactive-ms", performance.now().toFixed(1)); }
          if (d.readyState === "loading") { d.addEventListener("DOMContentLoaded", ready); } else { ready(); }
          var live = d.getElementById("live"), stale = d.getElementById("stale");
          var busy = false, pending = null, timer = 0;
          var ids = ["generated", "summary", "recorders", "filter", "target-list", "discovery", "pool"];
          function load(href, remember) {
            // One request at a time; the newest one asked for meanwhile runs next.
            if (busy) { pending = [href, remember]; return; }
            busy = true;
            fetch(href, { headers: { "Accept": "text/html" } }).then(function (response) {
              if (!response.ok) { throw new Error("HTTP " + response.status); }
              return response.text();
            }).then(function (text) {
              var next = new DOMParser().parseFromString(text, "text/html");
              ids.forEach(function (id) {
                var now = d.getElementById(id), fresh = next.getElementById(id);
                // Never replace the filter while someone types in it.
                if (now && fresh && !(id === "filter" && now.contains(d.activeElement))) { now.replaceWith(fresh); }
              });
              if (remember) { history.replaceState(null, "", href); }
              stale.hidden = true;
            }).catch(function () { stale.hidden = false; }).then(function () {
              busy = false;
              if (pending) { var next = pending; pending = null; load(next[0], next[1]); }
            });
          }
          function formQuery() {
            var params = new URLSearchParams();
            new FormData(d.getElementById("filter")).forEach(function (value, name) { if (value !== "") { params.set(name, value); } });
            var text = params.toString();
            return location.pathname + (text ? "?" + text : "");
          }
          setInterval(function () {
            if (live.checked && !d.hidden) { load(location.pathname + location.search, false); }
          }, REFRESH);
          function inFilter(event) { return event.target.closest && event.target.closest("#filter"); }
          d.addEventListener("input", function (event) {
            if (!inFilter(event)) { return; }
            clearTimeout(timer);
            timer = setTimeout(function () { load(formQuery(), true); }, 250);
          });
          d.addEventListener("submit", function (event) {
            if (!inFilter(event)) { return; }
            event.preventDefault();
            load(formQuery(), true);
          });
          d.addEventListener("click", function (event) {
            var link = event.target.closest ? event.target.closest("a[data-nav]") : null;
            if (!link || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
            event.preventDefault();
            load(link.getAttribute("href"), true);
          });
        })();
        """#.replacing("REFRESH", with: String(refreshMilliseconds))
}
