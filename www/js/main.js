/* main.js: the page's entry point. Wires the task list, the details and
 * the token question together and starts the feed. Each module does one
 * thing: api (the client and its token), feed (snapshot and live
 * events), forms, cronform (a form's Schedule part), schedules (their
 * section), list, details, items, report, format, dom, status. */

import { auth } from './api.js';
import { $ } from './dom.js';
import * as details from './details.js';
import { closeWatch, startUp } from './feed.js';
import { onTaskClick } from './list.js';
import * as schedules from './schedules.js';

auth.onPause = closeWatch;
auth.onResume = startUp;
$('#active').addEventListener('click', onTaskClick);
$('#recent').addEventListener('click', onTaskClick);
$('#token-cancel').addEventListener('click',
    () => $('#token-dialog').close('cancel'));
details.wire();
schedules.wire();
startUp();
