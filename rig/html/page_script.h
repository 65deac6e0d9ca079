/* page_script.h: the scenario page's zoom script (page_script.c), inlined by html_report.c. */
#ifndef BMSRIG_RIG_HTML_PAGE_SCRIPT_H
#define BMSRIG_RIG_HTML_PAGE_SCRIPT_H

/* JavaScript for one <script> element. It reads the JSON in <script id="bmsrig-data"
 * type="application/json">: {"t0":, "t1":, "t": [times], "b": bucketed?, "cols": {name:
 * [values] or [[mins], [maxs]]}, "bus": {"t": [times], "c": [codes: bit 0 reply, bit 1
 * faulted]}}, and redraws svg.plot[data-cols] paths (path.series[data-col]), their .ylo .yhi
 * .tlo .thi labels and [data-t] marks, and svg.bus g.frames, for the chosen window. */
extern const char html_page_script[];

#endif
