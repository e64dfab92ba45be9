-- id: web.request_to_new_script
-- title: Requests to a script in a web root created shortly before (web shell in use)
-- severity: high
-- attack: T1505.003
-- phase: persistence
-- evidence: web_requests, files
-- A script counts as new when a request reaches it at most 7 days after its birth (crtime, or
-- ctime when the file system keeps no birth time). Requests and files are matched on the file
-- name, then on the URI path being a suffix of the file's path.
WITH scripts AS MATERIALIZED (
  SELECT rowid AS fid, path, coalesce(crtime, ctime, mtime) AS born,
         substr(path, length(rtrim(path, replace(path, '/', ''))) + 1) AS base
  FROM files
  WHERE coalesce(deleted, 0) = 0 AND coalesce(type, 'r') = 'r'
    AND (path LIKE '/var/www/%' OR path LIKE '/srv/%' OR path LIKE '/usr/share/nginx/%'
         OR path LIKE '%/htdocs/%' OR path LIKE '%/public_html/%')
    AND (path LIKE '%.php' OR path LIKE '%.phtml' OR path LIKE '%.php5' OR path LIKE '%.jsp'
         OR path LIKE '%.jspx' OR path LIKE '%.asp' OR path LIKE '%.aspx' OR path LIKE '%.cgi'
         OR path LIKE '%.pl' OR path LIKE '%.py' OR path LIKE '%.sh')
), reqs AS MATERIALIZED (
  SELECT id, client_ip, uri_path, time, status,
         substr(uri_path, length(rtrim(uri_path, replace(uri_path, '/', ''))) + 1) AS base
  FROM web_requests
  WHERE substr(uri_path, -4) IN ('.php', '.jsp', '.asp', '.cgi')
     OR substr(uri_path, -3) IN ('.pl', '.py', '.sh')
     OR substr(uri_path, -5) IN ('.aspx', '.jspx', '.php5') OR substr(uri_path, -6) = '.phtml'
)
SELECT r.client_ip AS ip, s.path AS path, count(*) AS requests, min(r.time) AS time,
       json_insert(json_group_array('web_requests:' || r.id), '$[#]', 'files:' || s.fid)
         AS evidence
FROM scripts s JOIN reqs r ON r.base = s.base
WHERE substr(s.path, -length(r.uri_path)) = r.uri_path
  AND r.time >= s.born AND julianday(r.time) - julianday(s.born) <= 7
  AND r.status BETWEEN 200 AND 399
GROUP BY r.client_ip, s.path;
