namespace SidecarProxy.Approvals;

/// <summary>
/// The console's only script, served by the sidecar (<c>script-src 'self'</c>, nothing inline, nothing from
/// elsewhere). It keeps an open page up to date: every 2 seconds it reads the page's data from
/// <see cref="ConsoleLiveEndpoints"/> and redraws the lists, an approval's state and its decisions in place, with
/// text only (never HTML from the data), and says what changed in the page's <c>aria-live</c> region. When an
/// approval is decided elsewhere it disables the approval's form. The pages work without it (see <see cref="ConsolePages"/>).
/// </summary>
internal static class ConsoleScript
{
    public const string Path = "/console/console.js";

    public const string Text = """
        // SidecarProxy approval console: keeps the open page up to date. The page works without this script.
        (function () {
          'use strict';
          var body = document.body;
          var page = body.getAttribute('data-live');
          if (page !== 'list' && page !== 'approval') {
            return;
          }

          var every = 2000; // milliseconds between two reads
          var status = document.getElementById('live-status');
          var hint = document.getElementById('live-hint');
          var last = null;
          var known = null;
          var failures = 0;

          function byId(id) { return document.getElementById(id); }

          function say(text) {
            if (status) {
              status.textContent = text;
            }
          }

          function td(tr, text) {
            var cell = document.createElement('td');
            cell.textContent = text;
            tr.appendChild(cell);
            return cell;
          }

          function linkCell(tr, id) {
            var cell = document.createElement('td');
            var a = document.createElement('a');
            a.href = '/approvals/' + encodeURIComponent(id);
            a.textContent = id;
            cell.appendChild(a);
            tr.appendChild(cell);
          }

          function codeCell(tr, text) {
            var cell = td(tr, '');
            var code = document.createElement('code');
            code.textContent = text;
            cell.appendChild(code);
          }

          function timeCell(tr, at) {
            var cell = td(tr, at === '-' ? '-' : '');
            if (at !== '-') {
              var time = document.createElement('time');
              time.setAttribute('datetime', at);
              time.textContent = at;
              cell.appendChild(time);
            }
          }

          function stateSpan(parent, state) {
            var span = document.createElement('span');
            span.className = 'state state-' + state;
            span.textContent = state;
            parent.appendChild(span);
          }

          // Fills a table's body with one row per item, and shows either the table or its "nothing here" text.
          function fill(name, items, row) {
            var rows = byId(name + '-rows');
            if (!rows) {
              return;
            }

            while (rows.firstChild) {
              rows.removeChild(rows.firstChild);
            }

            items.forEach(function (item) {
              var tr = document.createElement('tr');
              row(tr, item);
              rows.appendChild(tr);
            });
            byId(name + '-table').hidden = items.length === 0;
            byId(name + '-empty').hidden = items.length !== 0;
          }

          function showList(data) {
            byId('pending').textContent = 'Pending (' + data.pending.length + ')';
            fill('pending', data.pending, function (tr, a) {
              linkCell(tr, a.id);
              td(tr, a.agent);
              codeCell(tr, a.request);
              td(tr, a.task);
              td(tr, a.requested_by);
              td(tr, a.approvals);
              timeCell(tr, a.expires_at);
            });
            fill('decided', data.decided, function (tr, a) {
              linkCell(tr, a.id);
              stateSpan(td(tr, ''), a.state);
              td(tr, a.agent);
              codeCell(tr, a.request);
              td(tr, a.decided_by);
              timeCell(tr, a.at);
            });

            var ids = data.pending.map(function (a) { return a.id; });
            if (known !== null) {
              var added = ids.filter(function (id) { return known.indexOf(id) < 0; });
              var gone = known.filter(function (id) { return ids.indexOf(id) < 0; });
              var news = [];
              if (added.length > 0) {
                news.push('New approval waiting: ' + added.join(', ') + '.');
              }

              if (gone.length > 0) {
                news.push('No longer pending: ' + gone.join(', ') + '.');
              }

              if (news.length > 0) {
                say(news.join(' '));
              }
            }

            known = ids;
          }

          function showApproval(data) {
            var state = byId('approval-state');
            var before = state.textContent;
            state.textContent = data.state;
            state.className = 'state state-' + data.state;
            byId('approval-count').textContent = data.approvals;
            fill('votes', data.votes, function (tr, v) {
              td(tr, v.by);
              td(tr, v.decision);
              td(tr, v.comment);
              timeCell(tr, v.at);
            });

            if (data.state === 'pending') {
              return;
            }

            var who = data.votes.map(function (v) { return v.by; }).join(', ');
            var text = 'This approval is ' + data.state + (who ? ', decided by ' + who : '') + '. It can no longer be decided here.';
            var form = byId('decide-form');
            if (form) {
              Array.prototype.forEach.call(form.querySelectorAll('button, textarea'), function (e) { e.disabled = true; });
              var outcome = byId('decide-outcome');
              outcome.textContent = text;
              outcome.hidden = false;
            }

            if (before !== data.state) {
              say(text);
            }
          }

          function url() {
            return page === 'list'
              ? '/console/live/approvals'
              : '/console/live/approvals/' + encodeURIComponent(body.getAttribute('data-approval-id'));
          }

          function poll() {
            fetch(url(), { credentials: 'same-origin', cache: 'no-store', headers: { 'Accept': 'application/json' } })
              .then(function (response) {
                if (response.status === 401) {
                  // The session has ended: a reload starts the login and comes back here.
                  window.location.reload();
                  throw new Error('session ended');
                }

                if (!response.ok) {
                  throw new Error('HTTP ' + response.status);
                }

                return response.json();
              })
              .then(function (data) {
                failures = 0;
                var text = JSON.stringify(data);
                if (text !== last) {
                  last = text;
                  (page === 'list' ? showList : showApproval)(data);
                }
              })
              .catch(function () {
                failures += 1;
                if (failures === 3) {
                  say('Live updates are not working at the moment; reload the page to see the latest state.');
                }
              })
              .then(function () { window.setTimeout(poll, every); });
          }

          if (hint) {
            hint.textContent = 'This page updates itself every few seconds.';
          }

          poll();
        }());
        """;
}
