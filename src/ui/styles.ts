/**
 * The whole stylesheet: small enough to serve as one cached file. Light and
 * dark themes follow the system unless the visitor picks one (data-theme).
 */
export const STYLES = `
:root{--bg:#fff;--fg:#1f2328;--muted:#656d76;--line:#d0d7de;--soft:#f6f8fa;--accent:#2f6f3e;--accent-fg:#fff;--link:#0b57d0;--warn:#9a6700;--danger:#cf222e;--code:#f6f8fa;color-scheme:light}
@media (prefers-color-scheme:dark){:root:not([data-theme=light]){--bg:#0d1117;--fg:#e6edf3;--muted:#8d96a0;--line:#30363d;--soft:#161b22;--accent:#3fb950;--accent-fg:#0d1117;--link:#7cb4ff;--warn:#d29922;--danger:#f85149;--code:#161b22;color-scheme:dark}}
:root[data-theme=dark]{--bg:#0d1117;--fg:#e6edf3;--muted:#8d96a0;--line:#30363d;--soft:#161b22;--accent:#3fb950;--accent-fg:#0d1117;--link:#7cb4ff;--warn:#d29922;--danger:#f85149;--code:#161b22;color-scheme:dark}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg)}
a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}
:focus-visible{outline:2px solid var(--link);outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:var(--bg);padding:4px 8px;z-index:10}
header.top{display:flex;gap:16px;align-items:center;padding:10px 20px;border-bottom:1px solid var(--line);flex-wrap:wrap}
header.top .logo{font-weight:700;font-size:18px;color:var(--fg)}
header.top nav{display:flex;gap:14px;flex-wrap:wrap}
header.top form{flex:1;min-width:180px;max-width:420px}
input,select,textarea,button{font:inherit;color:inherit}
input[type=search],input[type=text],input[type=password],input[type=email],select,textarea{width:100%;padding:6px 10px;border:1px solid var(--line);border-radius:6px;background:var(--bg)}
button,.button{display:inline-block;padding:6px 14px;border:1px solid var(--line);border-radius:6px;background:var(--soft);cursor:pointer;color:var(--fg)}
button.primary,.button.primary{background:var(--accent);color:var(--accent-fg);border-color:var(--accent)}
button.danger{color:var(--danger)}
main{max-width:1200px;margin:0 auto;padding:20px}
footer{max-width:1200px;margin:40px auto 20px;padding:0 20px;color:var(--muted);font-size:13px}
h1{font-size:24px;margin:0 0 12px}h2{font-size:19px}
.muted{color:var(--muted)}.small{font-size:13px}
.pill{display:inline-block;padding:1px 8px;border:1px solid var(--line);border-radius:999px;font-size:12px;margin:2px 4px 2px 0;background:var(--soft);color:var(--fg)}
.pill.private{border-color:var(--warn);color:var(--warn)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(280px,1fr));gap:12px;list-style:none;padding:0;margin:0}
.cards li{border:1px solid var(--line);border-radius:8px;padding:10px 12px;background:var(--bg)}
.cards .name{font-weight:600;word-break:break-all}
.layout{display:grid;grid-template-columns:240px minmax(0,1fr);gap:24px}
.layout.side-right{grid-template-columns:minmax(0,1fr) 300px}
@media (max-width:760px){.layout,.layout.side-right{grid-template-columns:minmax(0,1fr)}.hide-sm{display:none}}
.filters label{display:block;margin:6px 0 2px;font-size:13px;color:var(--muted)}
.repo-head{border-bottom:1px solid var(--line);margin-bottom:16px}
.repo-head h1{word-break:break-all}
.tabs{display:flex;gap:4px;flex-wrap:wrap;margin-top:8px}
.tabs a{padding:8px 12px;border-bottom:2px solid transparent;color:var(--fg)}
.tabs a[aria-current=page]{border-color:var(--accent);font-weight:600}
/* contain:paint keeps whatever a card draws inside its box (KaTeX's \\raisebox, \\kern); wide display math scrolls instead */
.card-body{min-width:0;overflow-wrap:anywhere;contain:paint}.card-body .math-block{overflow-x:auto;overflow-y:hidden}
.card-body img{max-width:100%}
.card-body pre,.blob pre{overflow:auto;background:var(--code);padding:12px;border-radius:6px}
.card-body table,.data{border-collapse:collapse;display:block;overflow:auto;max-width:100%}
.card-body th,.card-body td,.data th,.data td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
.data th{background:var(--soft);position:sticky;top:0}.data td{white-space:pre;max-width:420px;overflow:hidden;text-overflow:ellipsis}
.meta dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;margin:0}
.meta dt{color:var(--muted)}.meta dd{margin:0;overflow-wrap:anywhere}
aside.meta section{border:1px solid var(--line);border-radius:8px;padding:12px;margin-bottom:12px}
table.files{width:100%;border-collapse:collapse}
table.files td{padding:6px 8px;border-top:1px solid var(--line)}
table.files td.size,table.files td.when{white-space:nowrap;text-align:right;color:var(--muted);font-size:13px}
table.files td.name{word-break:break-all}
.lfs{font-size:11px;border:1px solid var(--line);border-radius:4px;padding:0 4px;margin-left:6px;color:var(--muted)}
.crumbs{margin:0 0 12px;word-break:break-all}
.blob{border:1px solid var(--line);border-radius:8px;overflow:hidden}
.blob .bar{display:flex;justify-content:space-between;gap:8px;align-items:center;padding:8px 12px;background:var(--soft);border-bottom:1px solid var(--line);flex-wrap:wrap}
table.code{border-collapse:collapse;width:100%;font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace}
table.code td.ln{width:1%;min-width:50px;text-align:right;padding:0 10px;color:var(--muted);user-select:none;vertical-align:top}
table.code td.ln a{color:inherit}
table.code td.src{white-space:pre;padding:0 10px}
table.code tr:target{background:rgba(255,200,0,.18)}
.blob .scroll{overflow:auto}
pre.snippet{background:var(--code);padding:10px;border-radius:6px;overflow:auto;font-size:13px;position:relative}
.copy{float:right;font-size:12px;padding:2px 8px}
.empty{border:1px dashed var(--line);border-radius:8px;padding:24px;text-align:center;color:var(--muted)}
.error-page{text-align:center;padding:60px 20px}.error-page h1{font-size:48px}
.commits li{border-top:1px solid var(--line);padding:8px 0;list-style:none}.commits{padding:0}
.diff{font:13px/1.45 ui-monospace,monospace;white-space:pre;overflow:auto;border:1px solid var(--line);border-radius:6px;margin:8px 0 16px}
.diff .add{background:rgba(46,160,67,.15)}.diff .del{background:rgba(248,81,73,.15)}.diff .hunk{color:var(--muted);background:var(--soft)}
.diff table{border-collapse:collapse;min-width:100%}.diff td{padding:0 8px}.diff td.ln{width:1%;min-width:40px;text-align:right;color:var(--muted);user-select:none}
.diff-file{margin:16px 0}.diff-head{display:flex;justify-content:space-between;gap:8px;flex-wrap:wrap;padding:6px 10px;background:var(--soft);border:1px solid var(--line);border-radius:6px 6px 0 0;word-break:break-all}
.diff-file .diff{margin:0;border-radius:0 0 6px 6px;border-top:0}.diff-note{margin:0;padding:8px 10px;border:1px solid var(--line);border-top:0;color:var(--muted);overflow-wrap:anywhere}
.plus{color:var(--accent)}.minus{color:var(--danger)}.commit pre.message{white-space:pre-wrap;background:var(--code);padding:10px;border-radius:6px}
.commit-meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}.commit-meta dt{color:var(--muted)}.commit-meta dd{margin:0;overflow-wrap:anywhere}
.pager{display:flex;gap:12px;align-items:center;justify-content:center;margin:16px 0}
.data th .type{display:block;font-weight:400;font-size:12px;color:var(--muted)}.data td.null{color:var(--muted);font-style:italic}.preview-summary{margin:8px 12px}
form.stack>*{margin-bottom:10px}form.stack label{display:block;font-weight:600;margin-bottom:2px}
.notice{border:1px solid var(--warn);border-radius:8px;padding:12px;margin-bottom:16px}
progress{width:100%;height:14px}
.dropzone{border:2px dashed var(--line);border-radius:8px;padding:24px;text-align:center}
.dropzone.over{border-color:var(--accent)}
/* write pages: forms, settings, upload (src/ui/pages/{auth,upload,edit,repo-settings,account,orgs}.ts) */
.narrow{max-width:560px}.grow{flex:1 1 200px;min-width:0}.row{display:flex;gap:8px 12px;flex-wrap:wrap;align-items:flex-end}.row.center{justify-content:center;align-items:flex-start;text-align:left}
.stack fieldset{border:0;padding:0;margin:0;min-width:0}.stack fieldset>*{margin-bottom:10px}.stack fieldset.choices{margin-bottom:10px}.stack legend{font-weight:600;padding:0;margin-bottom:4px}
form.stack label.choice{display:flex;gap:8px;align-items:baseline;font-weight:400;margin:4px 0}
input[type=date],input[type=file]{max-width:100%;font:inherit}input[type=date]{padding:6px 10px;border:1px solid var(--line);border-radius:6px;background:var(--bg)}
button:disabled,fieldset:disabled button{opacity:.55;cursor:not-allowed}button.danger{border-color:var(--danger)}
.linklike{background:none;border:0;padding:0;color:var(--link);cursor:pointer;align-self:flex-start}.linklike:hover{text-decoration:underline}
.form-status{margin:0;min-height:1.5em}.form-status:empty{min-height:0}.form-status.error,.form-errors{color:var(--danger)}.form-errors li{white-space:pre-wrap;overflow-wrap:anywhere}.form-status.ok{color:var(--accent)}
textarea.mono{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace;resize:vertical;tab-size:2}
.ok-notice{border-color:var(--accent)}.scroll-x{overflow-x:auto}
.progress-box label{font-weight:600}.progress-box p{margin:4px 0 0}
.settings-section{border:1px solid var(--line);border-radius:8px;padding:12px 16px;margin-bottom:16px}.settings-section h2{margin-top:0}.settings>.notice{margin-top:0}
.danger-zone{border-color:var(--danger)}.danger-zone h2{color:var(--danger)}
.settings-nav{margin:0 0 16px;border-bottom:1px solid var(--line)}
.request-list{list-style:none;padding:0;margin:0}.request-list li{border-top:1px solid var(--line);padding:8px 0}.request-list .row{align-items:center;margin-top:6px}.request-list input.reason{width:auto;flex:1 1 160px}
dl.answers{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:6px 0;font-size:13px}dl.answers dt{color:var(--muted)}dl.answers dd{margin:0;overflow-wrap:anywhere}
.token-line{display:flex;gap:8px;align-items:center;flex-wrap:wrap}.token-line code{padding:4px 8px;background:var(--code);border-radius:6px;word-break:break-all}
.plain-list{list-style:none;padding:0}.plain-list li{padding:6px 0;border-top:1px solid var(--line)}
.card-actions{float:right;margin:0 0 8px 12px}.confirm-box{border-bottom:1px solid var(--line);padding:12px;background:var(--soft)}
details.inline-form{margin:0 0 12px}details.inline-form>summary{cursor:pointer;color:var(--link);width:max-content}details.inline-form form{margin-top:8px;max-width:640px}
table.files th{text-align:left;font-size:13px;color:var(--muted);font-weight:600;padding:6px 8px}
.hljs-keyword,.hljs-built_in,.hljs-selector-tag{color:#cf222e}.hljs-string,.hljs-attr{color:#0a3069}.hljs-number,.hljs-literal{color:#0550ae}.hljs-comment{color:#6e7781;font-style:italic}.hljs-title,.hljs-function{color:#8250df}
@media (prefers-color-scheme:dark){:root:not([data-theme=light]) .hljs-keyword{color:#ff7b72}:root:not([data-theme=light]) .hljs-string{color:#a5d6ff}:root:not([data-theme=light]) .hljs-number{color:#79c0ff}:root:not([data-theme=light]) .hljs-title{color:#d2a8ff}}
:root[data-theme=dark] .hljs-keyword{color:#ff7b72}:root[data-theme=dark] .hljs-string{color:#a5d6ff}:root[data-theme=dark] .hljs-number{color:#79c0ff}:root[data-theme=dark] .hljs-title{color:#d2a8ff}
/* model tree (src/ui/pages/model-tree.ts) */
.lineage-chain{list-style:none;padding:0;margin:8px 0 16px}.lineage-chain>li{position:relative;padding:6px 0 6px 22px;border-left:2px solid var(--line);margin-left:8px}
.lineage-chain>li::before{content:"";position:absolute;left:-6px;top:14px;width:10px;height:10px;border-radius:50%;background:var(--soft);border:2px solid var(--line)}
.lineage-chain>li.lineage-self::before{background:var(--accent);border-color:var(--accent)}.lineage-level{list-style:none;padding:0;margin:0}.lineage-level li{padding:2px 0}
.lineage-children h4{margin:16px 0 4px}.lineage-children .empty{padding:8px;text-align:left}.model-tree-box ul.bare{list-style:none;padding:0;margin:0}a.external::after{content:" ↗"}
.pill.delivery-succeeded{border-color:var(--accent);color:var(--accent)}.pill.delivery-failed{border-color:var(--danger);color:var(--danger)}#delivery-table td{vertical-align:top}#webhook h2 .name{word-break:break-all}
input[type=url]{width:100%;padding:6px 10px;border:1px solid var(--line);border-radius:6px;background:var(--bg)}
.like-button[aria-pressed=true]{color:var(--danger);border-color:var(--danger)}.like-button{padding:1px 10px;font-size:13px}
.social-extras{display:flex;gap:16px;align-items:center;flex-wrap:wrap;margin:4px 0}.downloads-spark svg{vertical-align:middle;fill:var(--accent)}
.add-to-collection[open]{flex-basis:100%}.add-to-collection form{max-width:480px;margin-top:6px}
.collection-items{list-style:none;padding:0;margin:12px 0}.collection-item{border:1px solid var(--line);border-radius:8px;padding:10px 12px;margin:8px 0;background:var(--bg)}
.collection-item .note{margin-top:6px}.collection-item .note>:first-child{margin-top:0}.collection-item .note>:last-child{margin-bottom:0}.item-actions{display:flex;gap:4px}.item-actions button{padding:2px 8px}
ul.bare{list-style:none;padding:0;margin:4px 0}.collection-cards .name{font-size:15px}
.eval-benchmark h3{margin:18px 0 6px;font-size:16px}.eval-results td.num{text-align:right;font-variant-numeric:tabular-nums}
.pill.eval-self{border-color:var(--muted);color:var(--muted)}.pill.eval-reproduced,.pill.eval-verified{border-color:var(--accent);color:var(--accent)}.pill.eval-flag{border-color:var(--danger);color:var(--danger)}
.feedback-list>li{border-top:1px solid var(--line);padding:10px 0}.feedback-texts{display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:8px}.feedback-texts h4{margin:6px 0 2px;font-size:13px}
.feedback-texts pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:0;padding:6px 8px;background:var(--soft);border-radius:6px;max-height:16em;overflow:auto}.feedback-msg{margin-bottom:4px}
.feedback-categories{display:flex;flex-wrap:wrap;gap:0 16px}.feedback-actions input[name=labels]{min-width:12em}.feedback-filters{align-items:center;gap:6px;margin-bottom:8px}
.pill.feedback-accepted{border-color:var(--accent);color:var(--accent)}.pill.feedback-rejected{border-color:var(--danger);color:var(--danger)}.feedback-preview{margin:6px 0}
.eval-flag-form label{display:block;margin:6px 0}.eval-flag-form label:has(input[type=checkbox]){display:inline-block;margin-right:12px}.eval-summary td.num{text-align:right}
.feedback-filters select,.feedback-filters input,.feedback-actions input[name=labels]{width:auto}.feedback-filters label{font-weight:600}.feedback-own>summary{cursor:pointer;font-weight:600;margin-bottom:8px}
.table-scroll{overflow-x:auto}table.leaderboard,table.pareto-table{border-collapse:collapse;width:100%;font-size:14px}table.leaderboard th,table.leaderboard td,table.pareto-table th,table.pareto-table td{padding:6px 8px;border-top:1px solid var(--line);text-align:left;vertical-align:top}table.leaderboard caption,table.pareto-table caption{text-align:left;color:var(--muted);font-size:13px;padding:4px 0}
table.leaderboard .interval{white-space:nowrap;font-variant-numeric:tabular-nums}table.leaderboard .rank{font-size:12px;color:var(--muted)}.pill.flag-contaminated{border-color:var(--danger);color:var(--danger)}.pill.flag-unverified{border-color:var(--warn);color:var(--warn)}.pill.pareto-front{border-color:var(--accent);color:var(--accent)}
.leaderboard-controls{flex-wrap:wrap;align-items:flex-end;gap:8px;margin:12px 0}.leaderboard-controls select,.leaderboard-controls input{width:auto}.pareto-chart{width:100%;max-width:720px;height:auto;display:block;margin:8px 0}
.pareto-chart .axis{stroke:var(--muted)}.pareto-chart text{fill:var(--fg);font-size:11px}.pareto-chart .tick{fill:var(--muted)}.pareto-chart .point circle{fill:var(--soft);stroke:var(--muted);stroke-width:1.5}.pareto-chart .point.front circle{fill:var(--accent);stroke:var(--accent)}.pareto-chart .front-line{fill:none;stroke:var(--accent);stroke-width:2;stroke-dasharray:4 3}
.methods dt{font-weight:600;margin-top:6px}.methods dd{margin:0 0 0 1em}
/* arena (src/ui/pages/arena.ts) */
.arena-tabs{display:flex;gap:12px;margin:8px 0 16px}.arena-tabs a[aria-current=page]{font-weight:600;text-decoration:underline}
.arena-prompt{border:1px solid var(--line);border-radius:8px;padding:10px 12px;margin:8px 0;background:var(--soft)}.arena-prompt h2{font-size:14px;margin:0 0 6px}.arena-message{white-space:pre-wrap;overflow-wrap:anywhere;margin:4px 0}
.arena-answers{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:12px;margin:12px 0}.arena-answer{border:1px solid var(--line);border-radius:8px;padding:10px 12px;background:var(--bg);min-width:0;overflow-x:auto}
.arena-answer h2{font-size:15px;margin:0 0 8px}.arena-reveal{color:var(--accent);font-weight:600}.arena-votes{display:flex;flex-wrap:wrap;gap:8px;border:0;padding:0;margin:8px 0}.arena-votes legend{font-weight:600;margin-bottom:6px}
.arena-votes kbd,.arena-after kbd{font-size:11px;border:1px solid var(--line);border-radius:3px;padding:0 3px;margin-left:4px;color:inherit;opacity:.8}.arena-after{margin:8px 0}
table.arena-ratings{border-collapse:collapse;width:100%;font-size:14px}table.arena-ratings th,table.arena-ratings td{padding:6px 8px;border-top:1px solid var(--line);text-align:left}table.arena-ratings caption{text-align:left;color:var(--muted);font-size:13px;padding:4px 0}
table.arena-ratings td.num{text-align:right;font-variant-numeric:tabular-nums}table.arena-ratings .interval{white-space:nowrap;font-variant-numeric:tabular-nums}table.arena-ratings .rank{font-size:12px;color:var(--muted)}
`;
