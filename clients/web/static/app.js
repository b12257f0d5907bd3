// convene-web's pages: the server sends one shell (index.html) naming the
// page and the event; this script fetches JSON from /api/ and builds the
// page. Every text from the API goes into the DOM through textContent (el()
// below), never through innerHTML, so a participant named
// "<img src=x onerror=alert(1)>" is shown as those characters.
'use strict';

(function () {
  const body = document.body;
  const page = body.dataset.page;
  const eventId = body.dataset.eventId;
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || '';
  const viewerTz = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const app = document.getElementById('app');

  // ---- DOM helpers -------------------------------------------------------

  // el('a', {href: '/x', class: 'c'}, 'text', child): attributes are set
  // with setAttribute (never event handlers), children as text or nodes.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    setAttrs(node, attrs);
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function setAttrs(node, attrs) {
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on')) throw new Error('no inline handlers');
      node.setAttribute(k, v === true ? '' : String(v));
    }
  }

  const SVG = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    setAttrs(node, attrs);
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  // Only web links are made clickable (a join URL is the organiser's
  // input; "javascript:" must never become a link).
  function safeUrl(url) {
    return /^https?:\/\//i.test(url || '') ? url : null;
  }

  function link(url, text) {
    const safe = safeUrl(url);
    return safe ? el('a', {href: safe, rel: 'noopener noreferrer', target: '_blank'}, text)
                : el('span', {}, text);
  }

  function show(...nodes) {
    app.replaceChildren(...nodes);
  }

  function errorBox(err) {
    return el('p', {class: 'error', role: 'alert'},
              (err && err.message) ? err.message : String(err));
  }

  // ---- calls to convene-web's own API ----------------------------------

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message || code || ('HTTP ' + status));
      this.status = status;
      this.code = code;
    }
  }

  async function answer(res) {
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (res.status === 401) {
      window.location.assign('/signin?error=expired');
      throw new ApiError(401, 'UNAUTHENTICATED', 'signed out');
    }
    if (!res.ok) {
      const e = (data && data.error) || {};
      throw new ApiError(res.status, e.code, e.message);
    }
    return data;
  }

  async function getJson(path, signal) {
    return answer(await fetch(path, {credentials: 'same-origin', signal,
                                     headers: {'Accept': 'application/json'}}));
  }

  async function postForm(path, fields) {
    return answer(await fetch(path, {
      method: 'POST', credentials: 'same-origin',
      headers: {'X-CSRF-Token': csrf, 'Content-Type': 'application/x-www-form-urlencoded'},
      body: new URLSearchParams(fields).toString(),
    }));
  }

  const enc = encodeURIComponent;

  // ---- times -------------------------------------------------------------

  function fmt(instant, tz, opts) {
    if (!instant) return '';
    try {
      return new Intl.DateTimeFormat('en-GB', Object.assign({timeZone: tz}, opts ||
        {weekday: 'short', day: 'numeric', month: 'short', year: 'numeric',
         hour: '2-digit', minute: '2-digit'})).format(new Date(instant));
    } catch (e) {
      return new Date(instant).toISOString();
    }
  }
  const hhmm = (instant, tz) => fmt(instant, tz, {hour: '2-digit', minute: '2-digit'});
  // "YYYY-MM-DD" of an instant in a zone.
  function dateIn(instant, tz) {
    return new Intl.DateTimeFormat('en-CA', {timeZone: tz, year: 'numeric', month: '2-digit',
                                              day: '2-digit'}).format(new Date(instant));
  }
  const localText = (local) => (local || '').replace('T', ' ');

  const FORMAT = {EVENT_FORMAT_IN_PERSON: 'in person', EVENT_FORMAT_ONLINE: 'online',
                  EVENT_FORMAT_HYBRID: 'hybrid'};
  const MODE = {ATTENDANCE_MODE_IN_PERSON: 'in the room', ATTENDANCE_MODE_ONLINE: 'online'};
  const formatBadge = (f) => FORMAT[f] ? el('span', {class: 'badge ' + f.toLowerCase()}, FORMAT[f]) : null;

  // ---- events --------------------------------------------------------------

  function openByIdForm() {
    const input = el('input', {id: 'open-id', placeholder: 'ev_0123456789abcdef', maxlength: 64,
                               autocomplete: 'off'});
    const form = el('form', {class: 'inline'}, el('label', {for: 'open-id'}, 'Open an event by id'),
                    input, el('button', {type: 'submit'}, 'Open'));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const id = input.value.trim();
      if (/^[A-Za-z0-9_-]{1,64}$/.test(id)) window.location.assign('/events/' + enc(id));
    });
    return form;
  }

  async function eventsPage() {
    if (body.dataset.listsEvents !== 'true') {
      show(el('h1', {}, 'Events'),
           el('p', {}, 'Your token is limited to some events, so it cannot list the calendar.'),
           openByIdForm());
      return;
    }
    let data;
    try { data = await getJson('/api/events'); } catch (e) { show(errorBox(e)); return; }
    const events = data.events || [];
    let next = data.next_page_token || '';
    const distinct = (key) => [...new Set(events.map((e) => e[key]).filter(Boolean))].sort();
    const select = (id, label, values) => {
      const s = el('select', {id}, el('option', {value: ''}, 'all'));
      for (const v of values) s.append(el('option', {value: v}, v));
      return [el('label', {for: id}, label), s];
    };
    const [cLabel, community] = select('filter-community', 'Community', distinct('community'));
    const [cityLabel, city] = select('filter-city', 'City', distinct('city'));
    const list = el('div', {class: 'events'});
    // The calendar comes in parts of up to 2,000 events: the rest is one
    // click away, never silently left out.
    const more = el('button', {type: 'button', id: 'more-events'}, 'Show more events');
    const moreBox = el('p', {class: 'actions'}, more);
    const refill = (select, values) => {
      const chosen = select.value;
      select.replaceChildren(el('option', {value: ''}, 'all'), ...values.map((v) => el('option', {value: v}, v)));
      select.value = chosen;
    };
    const render = () => {
      const shown = events.filter((e) => (!community.value || e.community === community.value) &&
                                         (!city.value || e.city === city.value));
      list.replaceChildren(...shown.map(eventCard));
      if (!shown.length) list.append(el('p', {class: 'hint'}, next ? 'No events match so far.' : 'No events match.'));
      moreBox.hidden = !next;
    };
    more.addEventListener('click', async () => {
      more.disabled = true;
      try {
        const part = await getJson('/api/events?page_token=' + enc(next));
        events.push(...(part.events || []));
        next = part.next_page_token || '';
        refill(community, distinct('community'));
        refill(city, distinct('city'));
        render();
      } catch (e) {
        list.append(errorBox(e));
      } finally {
        more.disabled = false;
      }
    });
    community.addEventListener('change', render);
    city.addEventListener('change', render);
    show(el('h1', {}, 'Events'),
         el('p', {class: 'hint'}, 'Times in your zone (' + viewerTz + ') next to the venue\'s.'),
         el('div', {class: 'filters'}, cLabel, community, cityLabel, city), list, moreBox, openByIdForm());
    render();
  }

  function eventCard(e) {
    const cancelled = e.status === 'EVENT_STATUS_CANCELLED';
    const base = '/events/' + enc(e.id);
    return el('article', {class: 'card event' + (cancelled ? ' cancelled' : ''), 'data-event': e.id},
      el('h2', {}, el('a', {href: base}, e.title)),
      el('p', {class: 'meta'}, formatBadge(e.format), cancelled ? el('span', {class: 'badge cancelled'}, 'cancelled') : null,
         [e.community, e.city].filter(Boolean).join(' · ')),
      el('p', {}, el('strong', {}, 'Venue: '),
         localText(e.start_local) + ' – ' + localText(e.end_local) + ' (' + e.time_zone + ')'),
      el('p', {}, el('strong', {}, 'Your time: '),
         fmt(e.start_time, viewerTz) + ' – ' + fmt(e.end_time, viewerTz) + ' (' + viewerTz + ')'),
      el('p', {class: 'actions'}, el('a', {href: base}, 'Agenda'), el('a', {href: base + '/live'}, 'Live attendance'),
         el('a', {href: base + '/desk'}, 'Check-in desk')));
  }

  // ---- one event: agenda and downloads -------------------------------------

  async function loadEvent() {
    const data = await getJson('/api/events/' + enc(eventId) + '?tz=' + enc(viewerTz));
    // The server's nav links every page; a token that may not use the desk
    // does not need its link.
    if (!data.access.checks_in) {
      for (const a of document.querySelectorAll('header nav a[href$="/desk"]')) a.remove();
    }
    return data;
  }

  function downloads(data) {
    const p = el('p', {class: 'actions downloads'});
    if (data.access.organises) {
      p.append(el('a', {href: '/download/' + enc(eventId) + '/attendance.csv', download: ''}, 'Attendance CSV'));
    }
    if (data.access.exports_calendar) {
      p.append(el('a', {href: '/download/' + enc(eventId) + '/calendar.ics', download: ''}, 'iCalendar (.ics)'));
    }
    return p.childNodes.length ? p : null;
  }

  function zoned(z, tz) {
    const venue = (z.venue_local || '').slice(11, 16);
    const viewer = (z.viewer_local || '').slice(11, 16);
    return {venue, viewer, shifted: z.viewer_date_if_different || ''};
  }

  // A span's end as shown after its start: "24:00" for the next midnight,
  // otherwise the time, with "(+Nd)" when it falls N days later (as the
  // CLI shows it).
  function endOf(fromLocal, toLocal) {
    const days = Math.round((Date.parse((toLocal || '').slice(0, 10)) -
                             Date.parse((fromLocal || '').slice(0, 10))) / 86400000);
    const time = (toLocal || '').slice(11, 16);
    if (days === 1 && time === '00:00') return ['24:00', null];
    return [time, days > 0 ? el('span', {class: 'shift end-shift'}, ' (+' + days + 'd)') : null];
  }

  async function eventPage() {
    let data;
    try { data = await loadEvent(); } catch (e) { show(errorBox(e)); return; }
    const e = data.event, agenda = data.agenda;
    document.title = e.title + ' · Convene';
    const head = [
      el('h1', {}, e.title),
      el('p', {class: 'meta'}, formatBadge(e.format), [e.community, e.city, e.country_code].filter(Boolean).join(' · ')),
      e.description ? el('p', {}, e.description) : null,
      e.venue && e.venue.name ? el('p', {}, el('strong', {}, 'Venue: '),
        [e.venue.name, e.venue.address, e.venue.city].filter(Boolean).join(', ')) : null,
      e.online && e.online.join_url ? el('p', {}, el('strong', {}, 'Online: '),
        (e.online.platform ? e.online.platform + ' ' : ''), link(e.online.join_url, e.online.join_url)) : null,
      el('p', {class: 'hint'}, 'Venue times in ' + agenda.venue_time_zone + '; yours in ' +
         (agenda.viewer_time_zone || agenda.venue_time_zone) + '.'),
      el('p', {class: 'actions'}, el('a', {href: '/events/' + enc(eventId) + '/live'}, 'Live attendance'),
         data.access.checks_in ? el('a', {href: '/events/' + enc(eventId) + '/desk'}, 'Check-in desk') : null),
      downloads(data),
    ];
    const days = (agenda.days || []).map((d) => {
      const items = (d.items || []).map((it) => {
        const s = zoned(it.start);
        const [venueEnd, venueLater] = endOf(it.start.venue_local, it.end.venue_local);
        const [viewerEnd, viewerLater] = endOf(it.start.viewer_local, it.end.viewer_local);
        return el('li', {class: 'item'},
          el('div', {class: 'times'},
             el('span', {class: 'venue-time'}, s.venue + '–' + venueEnd, venueLater),
             el('span', {class: 'viewer-time'}, s.viewer + '–' + viewerEnd + ' yours',
                s.shifted ? el('span', {class: 'shift'}, ' (' + s.shifted + ')') : null, viewerLater)),
          el('div', {}, el('strong', {}, it.title || 'Programme'),
             it.continues_from_earlier_day ? ' (continued from the day before)' : null, ' ', formatBadge(it.format),
             it.room ? el('span', {class: 'room'}, ' · ' + it.room) : null,
             it.join_url ? el('span', {}, ' · ', link(it.join_url, 'join online')) : null));
      });
      return el('section', {class: 'card day'}, el('h2', {}, d.venue_date), el('ul', {class: 'agenda'}, ...items));
    });
    show(...head.filter(Boolean), ...days);
  }

  // ---- live hybrid attendance ----------------------------------------------

  function n(v) { return Number(v || 0); }

  // Whether the event takes people in a mode: a capacity of 0 is "no limit"
  // only where the mode is offered at all.
  function offers(format, mode) {
    return format === 'EVENT_FORMAT_HYBRID' ||
           format === (mode === 'in_person' ? 'EVENT_FORMAT_IN_PERSON' : 'EVENT_FORMAT_ONLINE');
  }

  function countsTable(day, format) {
    const c = day.counts || {};
    const cap = (v, mode) => (!offers(format, mode) ? 'not offered' : n(v) ? String(n(v)) : 'no limit');
    const row = (label, key, reg, wait, inn, capacity) =>
      el('tr', {'data-mode': key}, el('th', {scope: 'row'}, label),
         el('td', {'data-field': 'registered'}, n(reg)),
         el('td', {'data-field': 'waitlisted'}, n(wait)),
         el('td', {'data-field': 'checked_in', class: 'strong'}, n(inn)),
         el('td', {'data-field': 'capacity'}, capacity));
    return el('div', {class: 'scroll'}, el('table', {class: 'counts'},
      el('thead', {}, el('tr', {}, el('th', {}, ''), el('th', {}, 'registered'), el('th', {}, 'waitlisted'),
                           el('th', {}, 'checked in'), el('th', {}, 'capacity'))),
      el('tbody', {},
         row('Room', 'in_person', c.registered_in_person, c.waitlisted_in_person, c.checked_in_in_person, cap(day.in_person_capacity, 'in_person')),
         row('Online', 'online', c.registered_online, c.waitlisted_online, c.checked_in_online, cap(day.online_capacity, 'online')),
         row('Total', 'total', c.registered_total, n(c.waitlisted_in_person) + n(c.waitlisted_online), c.checked_in_total, ''))));
  }

  function headcount(day) {
    const u = day.unique || {};
    const item = (label, key, v) => el('div', {class: 'stat', 'data-field': key}, el('span', {class: 'num'}, n(v)), el('span', {}, label));
    return el('div', {class: 'stats'}, item('room only', 'room_only', u.in_person_only),
              item('online only', 'online_only', u.online_only), item('both', 'both', u.both),
              item('people present', 'unique_total', u.total), item('walk-ins', 'walk_ins', u.walk_ins));
  }

  // Grouped bars per day: registered and checked in, room and online, with
  // the capacity as a dashed line over the room and online bars.
  function chart(days) {
    const W = 640, H = 240, top = 20, bottom = 40, left = 36;
    const series = [
      ['registered_in_person', 'room registered', 'room-reg'],
      ['checked_in_in_person', 'room checked in', 'room-in'],
      ['registered_online', 'online registered', 'online-reg'],
      ['checked_in_online', 'online checked in', 'online-in'],
    ];
    let top_value = 1;
    for (const d of days) {
      for (const [k] of series) top_value = Math.max(top_value, n((d.counts || {})[k]));
      top_value = Math.max(top_value, n(d.in_person_capacity), n(d.online_capacity));
    }
    // Four grid steps of 1, 2 or 5 times a power of ten.
    const raw = top_value / 4, power = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = Math.max(1, [1, 2, 5, 10].map((m) => m * power).find((v) => v >= raw));
    const max = step * 4;
    const root = svg('svg', {viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img',
                             'aria-label': 'Registered and checked in per day, room and online'});
    const plotH = H - top - bottom, groupW = (W - left) / Math.max(1, days.length);
    const barW = Math.min(28, (groupW - 16) / series.length);
    const y = (v) => top + plotH - (v / max) * plotH;
    for (let i = 0; i <= 4; i++) {
      const v = step * i;
      root.append(svg('line', {x1: left, x2: W, y1: y(v), y2: y(v), class: 'grid'}));
      root.append(svg('text', {x: left - 4, y: y(v) + 4, class: 'axis', 'text-anchor': 'end'}, v));
    }
    days.forEach((d, i) => {
      const x0 = left + i * groupW + (groupW - barW * series.length) / 2;
      series.forEach(([k, label, cls], j) => {
        const v = n((d.counts || {})[k]);
        const bar = svg('rect', {x: x0 + j * barW, y: y(v), width: barW - 3, height: top + plotH - y(v), class: 'bar ' + cls});
        bar.append(svg('title', {}, `${d.date} ${label}: ${v}`));
        root.append(bar);
        root.append(svg('text', {x: x0 + j * barW + (barW - 3) / 2, y: y(v) - 3, class: 'value', 'text-anchor': 'middle'}, v));
      });
      const capLine = (cap, j0) => {
        if (!n(cap)) return;
        root.append(svg('line', {x1: x0 + j0 * barW - 2, x2: x0 + (j0 + 2) * barW - 1, y1: y(n(cap)), y2: y(n(cap)), class: 'cap'}));
      };
      capLine(d.in_person_capacity, 0);
      capLine(d.online_capacity, 2);
      root.append(svg('text', {x: left + i * groupW + groupW / 2, y: H - bottom + 18, class: 'axis', 'text-anchor': 'middle'}, d.date));
    });
    const legend = el('p', {class: 'legend'}, ...series.map(([, label, cls]) =>
      el('span', {}, el('i', {class: 'swatch ' + cls}), label)), el('span', {}, el('i', {class: 'swatch cap'}), 'capacity'));
    return el('figure', {class: 'card'}, root, legend);
  }

  // One row per city or organisation; "room / online" in each cell keeps
  // the table narrow enough for a phone.
  function groupTable(title, groups) {
    if (!groups || !groups.length) return null;
    const pair = (a, b) => n(a) + ' / ' + n(b);
    return el('div', {class: 'scroll'}, el('table', {class: 'groups'},
      el('caption', {}, title),
      el('thead', {}, el('tr', {}, el('th', {}, ''),
                           el('th', {}, 'registered', el('span', {class: 'sub'}, 'room / online')),
                           el('th', {}, 'checked in', el('span', {class: 'sub'}, 'room / online')))),
      el('tbody', {}, ...groups.map((g) => {
        const c = g.counts || {};
        return el('tr', {}, el('th', {scope: 'row'}, g.erased ? '(erased)' : (g.key || '(unknown)')),
                  el('td', {}, pair(c.registered_in_person, c.registered_online)),
                  el('td', {}, pair(c.checked_in_in_person, c.checked_in_online)));
      }))));
  }

  // Every day on one table: the hybrid split at a glance.
  function daysTable(days, today, format) {
    const pair = (a, b) => n(a) + ' / ' + n(b);
    const head = (label, sub) => el('th', {}, label, sub ? el('span', {class: 'sub'}, sub) : null);
    return el('div', {class: 'scroll card'}, el('table', {class: 'days', id: 'days-table'},
      el('caption', {}, 'Per day'),
      el('thead', {}, el('tr', {}, el('th', {}, 'day'), head('registered', 'room / online'),
                           head('waitlisted', 'room / online'), head('checked in', 'room / online'),
                           head('present', 'room only / online only / both'), head('capacity', 'room / online'))),
      el('tbody', {}, ...days.map((d) => {
        const c = d.counts || {}, u = d.unique || {};
        const cap = (v, mode) => (!offers(format, mode) ? 'not offered' : n(v) ? String(n(v)) : '∞');
        return el('tr', {'data-day': d.date, 'aria-current': d.date === today ? 'date' : null,
                         class: d.date === today ? 'today' : null},
                  el('th', {scope: 'row'}, d.date, d.date === today ? ' (today)' : ''),
                  el('td', {}, pair(c.registered_in_person, c.registered_online)),
                  el('td', {}, pair(c.waitlisted_in_person, c.waitlisted_online)),
                  el('td', {class: 'strong'}, pair(c.checked_in_in_person, c.checked_in_online)),
                  el('td', {}, n(u.in_person_only) + ' / ' + n(u.online_only) + ' / ' + n(u.both)),
                  el('td', {}, cap(d.in_person_capacity, 'in_person') + ' / ' + cap(d.online_capacity, 'online')));
      }))));
  }

  async function livePage() {
    let data;
    try { data = await loadEvent(); } catch (e) { show(errorBox(e)); return; }
    const e = data.event;
    document.title = 'Live · ' + e.title + ' · Convene';
    // Announced when it changes ("reconnecting…"); the numbers below it
    // are not read out at every update.
    const status = el('p', {class: 'live-status', id: 'live-status', role: 'status', 'aria-live': 'polite'},
                      'connecting…');
    const content = el('div', {id: 'live'});
    show(el('h1', {}, e.title), el('p', {class: 'meta'}, formatBadge(e.format),
         'Live hybrid attendance · days in ' + e.time_zone), status, content, downloads(data));

    // Versions only rise on one Redis; a stream opened after a failover to
    // a replica that missed the last writes starts lower, and is the truth
    // from then on: its first frame is always taken.
    let version = -1, fresh = false, shownToday = false;
    let lastCounts = null, renderedToday = null;
    const render = (counts) => {
      if (n(counts.version) < version && !fresh) return;  // an older snapshot after a newer one
      fresh = false;
      version = n(counts.version);
      lastCounts = counts;
      const days = counts.days || [];
      // The venue's day, as the desk and the check-in windows count it.
      const today = dateIn(new Date().toISOString(), e.time_zone);
      renderedToday = today;
      content.dataset.version = String(version);
      content.replaceChildren(
        el('p', {class: 'hint'}, 'Registrations: ' + n(counts.registrations)),
        days.length ? chart(days) : el('p', {}, 'No days yet.'),
        days.length ? daysTable(days, today, e.format) : null,
        ...days.map((d) => el('section', {class: 'card day' + (d.date === today ? ' today' : ''), 'data-day': d.date,
                                          'aria-current': d.date === today ? 'date' : null},
          el('h2', {}, d.date, d.date === today ? ' ' : null, d.date === today ? el('span', {class: 'badge today'}, 'today') : null),
          countsTable(d, e.format), el('h3', {}, 'Unique headcount'), headcount(d),
          el('div', {class: 'groups-row'}, groupTable('By city', d.by_city), groupTable('By organisation', d.by_organisation)))));
      // On a later day of the event, its numbers are what the organiser
      // came for: shown once, without moving the page on every update.
      const todaySection = content.querySelector('section.day.today');
      if (!shownToday && todaySection && days.length && days[0].date !== today) {
        todaySection.scrollIntoView({block: 'start'});
      }
      shownToday = shownToday || !!todaySection;
      // The live region announces "live" when it comes back; the time of
      // each update beside it is not read out every second.
      let updated = status.querySelector('.updated');
      if (!updated) {
        updated = el('span', {class: 'updated', 'aria-hidden': 'true'});
        status.replaceChildren('live', updated);
      }
      updated.textContent = ' · updated ' + fmt(counts.as_of || new Date().toISOString(), viewerTz,
                                                {hour: '2-digit', minute: '2-digit', second: '2-digit'}) +
                            ' (' + viewerTz + ')';
      status.className = 'live-status ok';
    };

    try { render(await getJson('/api/events/' + enc(eventId) + '/counts')); } catch (err) {
      content.replaceChildren(errorBox(err));
      if (err.status === 403 || err.status === 404) return;
    }

    // EventSource reconnects by itself after a dropped connection; after a
    // refused one (HTTP error) it gives up, so this retries with backoff.
    let backoff = 1000, source = null, endedByServer = false;
    const connect = () => {
      source = new EventSource('/api/events/' + enc(eventId) + '/stream');
      source.addEventListener('open', () => { backoff = 1000; endedByServer = false; fresh = true; });
      // The stream reached its age: the browser reconnects in a second,
      // nothing to alarm anyone about. Any other end (the services away)
      // shows as reconnecting.
      source.addEventListener('ended', (m) => {
        try { endedByServer = JSON.parse(m.data).code === 'DEADLINE_EXCEEDED'; } catch (err) { endedByServer = false; }
      });
      source.addEventListener('counts', (m) => {
        try { render(JSON.parse(m.data)); } catch (err) { /* a bad frame: wait for the next */ }
      });
      source.addEventListener('fatal', (m) => {
        source.close();
        let msg = 'live updates stopped';
        try { msg += ': ' + JSON.parse(m.data).message; } catch (err) { /* keep the default */ }
        status.textContent = msg;
        status.className = 'live-status bad';
      });
      source.addEventListener('error', () => {
        if (!endedByServer || source.readyState === EventSource.CLOSED) {
          status.textContent = 'reconnecting…';
          status.className = 'live-status warn';
        }
        if (source.readyState === EventSource.CLOSED) {
          setTimeout(async () => {
            try { render(await getJson('/api/events/' + enc(eventId) + '/counts')); } catch (err) { /* retry below */ }
            connect();
          }, backoff);
          backoff = Math.min(backoff * 2, 30000);
        }
      });
    };
    connect();
    window.addEventListener('pagehide', () => source && source.close());
    // A page left open overnight with nothing changing gets no update to
    // redraw it: the venue's new day is marked when it begins.
    setInterval(() => {
      if (lastCounts && dateIn(new Date().toISOString(), e.time_zone) !== renderedToday) {
        render(lastCounts);
      }
    }, 10000);
  }

  // ---- check-in desk -------------------------------------------------------

  async function deskPage() {
    let data;
    try { data = await loadEvent(); } catch (e) { show(errorBox(e)); return; }
    const e = data.event, access = data.access;
    document.title = 'Desk · ' + e.title + ' · Convene';
    if (!access.checks_in) {
      show(el('h1', {}, e.title), errorBox('Your token may not check people in for this event.'));
      return;
    }
    const days = (data.agenda.days || []).map((d) => d.venue_date);
    let today = dateIn(new Date().toISOString(), e.time_zone);
    const daySelect = el('select', {id: 'desk-day', class: 'big'},
                         ...days.map((d) => el('option', {value: d}, d === today ? d + ' (today)' : d)));
    daySelect.value = days.includes(today) ? today : (days[0] || '');
    // The day follows the venue's date unless staff chose one: a desk left
    // open overnight must not go on checking people in for yesterday, which
    // the services still accept in the morning (the check-in margin).
    let chosen = false;
    const followToday = () => {
      const now = dateIn(new Date().toISOString(), e.time_zone);
      if (now === today) return false;
      today = now;
      for (const o of daySelect.options) o.textContent = o.value === today ? o.value + ' (today)' : o.value;
      if (chosen || !days.includes(today) || daySelect.value === today) return false;
      daySelect.value = today;
      return true;
    };
    const message = el('div', {id: 'desk-message', class: 'message', role: 'status', 'aria-live': 'polite'});
    const results = el('div', {id: 'desk-results', class: 'results'});
    const search = el('input', {id: 'desk-search', type: 'search', class: 'big', autocomplete: 'off',
                                maxlength: 200, placeholder: access.sees_people ? 'Name or id' : 'Participant id'});

    const say = (kind, ...parts) => {
      message.className = 'message ' + kind;
      message.replaceChildren(...parts);
      message.scrollIntoView({block: 'nearest'});  // on a phone the form may be far below
    };
    const modeToggle = (initial, who) => {
      let mode = initial || 'in_person';
      const room = el('button', {type: 'button', class: 'mode', 'data-mode': 'in_person'}, 'Room');
      const online = el('button', {type: 'button', class: 'mode', 'data-mode': 'online'}, 'Online');
      const paint = () => {
        room.setAttribute('aria-pressed', String(mode === 'in_person'));
        online.setAttribute('aria-pressed', String(mode === 'online'));
      };
      room.addEventListener('click', () => { mode = 'in_person'; paint(); });
      online.addEventListener('click', () => { mode = 'online'; paint(); });
      paint();
      return {node: el('div', {class: 'modes', role: 'group', 'aria-label': 'Mode for ' + who}, room, online),
              get: () => mode};
    };

    async function checkIn(fields, name) {
      if (followToday()) {
        // The card showed the old day's registration: staff look again.
        find();
        say('warn', 'A new day began at the venue: the desk is now on ' + today + '. Check ',
            el('strong', {}, name), ' in again.');
        return false;
      }
      const day = daySelect.value;
      try {
        const r = await postForm('/api/events/' + enc(eventId) + '/checkin', Object.assign({day}, fields));
        const at = hhmm(r.check_in_time, e.time_zone);
        const where = MODE[r.mode] || '';
        if (fields.change_mode) find();  // the card shows the day's new mode
        if (r.duplicate) {
          say('warn', el('strong', {}, name), ' was already checked in at ' + at + ' (' + where + ').');
        } else {
          say('ok', el('strong', {}, name), ' checked in ' + where + ' at ' + at + '.');
        }
        return true;
      } catch (err) {
        say('bad', 'Not checked in: ' + err.message);
        return false;
      }
    }

    function personCard(reg) {
      const p = reg.participant || {};
      const name = p.display_name || p.participant_id;
      const dayReg = (reg.days || []).find((d) => d.date === daySelect.value);
      const initial = dayReg && dayReg.mode === 'ATTENDANCE_MODE_ONLINE' ? 'online' : 'in_person';
      // Only organisers move a seat to the other mode; at the desk the mode
      // is the registration's.
      const toggle = access.organises || !dayReg ? modeToggle(initial, name)
                                                 : {node: el('span', {class: 'meta'}), get: () => initial};
      // Every card has one: a screen reader's list of buttons says whose.
      const button = el('button', {type: 'button', class: 'checkin big', 'aria-label': 'Check in ' + name}, 'Check in');
      button.addEventListener('click', () => {
        const fields = {participant_id: p.participant_id, mode: toggle.get()};
        if (dayReg && toggle.get() !== initial) fields.change_mode = '1';  // moves the seat first
        checkIn(fields, name);
      });
      const note = dayReg ? (MODE[dayReg.mode] || '') + (dayReg.status === 'REGISTRATION_STATUS_WAITLISTED' ? ', waitlisted' : '')
                          : 'not registered for this day';
      return el('article', {class: 'card person', 'data-participant': p.participant_id},
        el('div', {class: 'who'}, el('strong', {class: 'name'}, name),
           el('span', {class: 'meta'}, [p.organisation, p.city].filter(Boolean).join(' · ')),
           el('span', {class: 'meta'}, p.participant_id + ' · ' + note)),
        toggle.node, button);
    }

    let seq = 0, controller = null, timer = null;
    async function find() {
      const q = search.value.trim();
      const mine = ++seq;
      if (!access.sees_people) {
        // A check-in token sees no names: the desk works by id.
        results.replaceChildren(...(/^[A-Za-z0-9._@-]{1,128}$/.test(q)
          ? [personCard({participant: {participant_id: q, display_name: q}, days: []})] : []));
        results.dataset.query = q;
        return;
      }
      if (controller) controller.abort();
      controller = new AbortController();
      try {
        const r = await getJson('/api/events/' + enc(eventId) + '/people?q=' + enc(q), controller.signal);
        if (mine !== seq) return;  // a newer search is under way
        const regs = r.registrations || [];
        results.replaceChildren(...regs.map(personCard));
        if (r.more_matches) {
          results.append(el('p', {class: 'hint', id: 'desk-more'}, 'More people match: type more of the name or the id.'));
        } else if (!r.searched_all) {
          results.append(el('p', {class: 'hint', id: 'desk-partial'}, 'Searched the first ' + r.searched +
            ' registrations only: type more of the name, or the participant id.'));
        } else if (!regs.length) {
          results.append(el('p', {class: 'hint'}, 'Nobody registered matches.'));
        }
        results.dataset.query = q;  // what these results answer (tests wait for it)
      } catch (err) {
        if (err.name !== 'AbortError' && mine === seq) results.replaceChildren(errorBox(err));
      }
    }
    search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(find, 150); });
    daySelect.addEventListener('change', () => { chosen = true; find(); });
    setInterval(() => { if (followToday()) find(); }, 30000);

    const parts = [
      el('h1', {}, 'Check-in desk'), el('p', {class: 'meta'}, e.title),
      el('label', {for: 'desk-day'}, 'Day'), daySelect,
      el('label', {for: 'desk-search'}, access.sees_people ? 'Find a registered person' : 'Participant id'),
      search, message, results,
    ];
    if (e.allow_walk_ins) {
      const name = el('input', {id: 'walkin-name', class: 'big', maxlength: 200, autocomplete: 'off'});
      const org = el('input', {id: 'walkin-org', class: 'big', maxlength: 200, autocomplete: 'off'});
      const city = el('input', {id: 'walkin-city', class: 'big', maxlength: 100, autocomplete: 'off'});
      // The services take walk-ins in the room only (someone joining
      // online registers first): no mode to choose.
      const button = el('button', {type: 'submit', class: 'checkin big'}, 'Record walk-in');
      const form = el('form', {class: 'card walkin'}, el('h2', {}, 'Walk-in'),
        el('p', {class: 'hint'}, 'In the room, while it has a free seat.'),
        el('label', {for: 'walkin-name'}, 'Name'), name, el('label', {for: 'walkin-org'}, 'Organisation'), org,
        el('label', {for: 'walkin-city'}, 'City'), city, button);
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        if (!name.value.trim()) { say('bad', 'A walk-in needs a name.'); return; }
        // Cleared once recorded only: a refusal (the room full, a new day
        // begun) keeps what staff typed for the next try.
        if (await checkIn({walk_in: '1', name: name.value.trim(), organisation: org.value.trim(),
                           city: city.value.trim(), mode: 'in_person'}, name.value.trim())) {
          form.reset();
        }
      });
      parts.push(form);
    }
    show(...parts);
    find();
    search.focus();
  }

  const pages = {events: eventsPage, event: eventPage, live: livePage, desk: deskPage};
  if (pages[page]) pages[page]().catch((e) => show(errorBox(e)));
})();
