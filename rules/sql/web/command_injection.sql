-- id: web.command_injection
-- title: Command injection in a web request (URI or body; URL- and double-encoded forms decoded)
-- severity: high
-- attack: T1190
-- phase: initial_access
-- evidence: web_requests
-- uri_decoded/body_decoded are URL-decoded twice and lower-cased by the loader.
-- Two stages: a cheap scan for shell metacharacters, then the command words on the few rows left.
WITH c AS MATERIALIZED (
  SELECT id, client_ip, uri_path, time,
         coalesce(uri_decoded, uri, '') || ' ' || coalesce(body_decoded, '') AS d
  FROM web_requests
  WHERE instr(coalesce(uri_decoded, uri), ';') OR instr(coalesce(uri_decoded, uri), '|') OR instr(coalesce(uri_decoded, uri), '`') OR instr(coalesce(uri_decoded, uri), '$(') OR instr(coalesce(uri_decoded, uri), '&&') OR instr(coalesce(uri_decoded, uri), char(10))
     OR (body_decoded IS NOT NULL AND (instr(body_decoded, ';') OR instr(body_decoded, '|') OR instr(body_decoded, '`') OR instr(body_decoded, '$(') OR instr(body_decoded, '&&') OR instr(body_decoded, char(10))))
)
SELECT client_ip AS ip, uri_path AS path, count(*) AS requests, min(time) AS time,
       json_group_array('web_requests:' || id) AS evidence
FROM c
WHERE d LIKE '%wget %' OR d LIKE '%curl %' OR d LIKE '%/bin/sh%' OR d LIKE '%/bin/bash%'
   OR d LIKE '%bash -%' OR d LIKE '%sh -c%' OR d LIKE '%whoami%' OR d LIKE '%uname -%'
   OR d LIKE '%/etc/passwd%' OR d LIKE '%/etc/shadow%' OR d LIKE '%nc -e%'
   OR d LIKE '%ncat %' OR d LIKE '%python -c%' OR d LIKE '%python3 -c%'
   OR d LIKE '%perl -e%' OR d LIKE '%chmod +x%' OR d LIKE '%/dev/tcp/%'
   OR d LIKE '%base64 -d%' OR d LIKE '%;id%' OR d LIKE '%|id%' OR d LIKE '%`id`%'
   OR d LIKE '%$(id)%' OR d LIKE '%;cat %' OR d LIKE '%|cat %'
GROUP BY client_ip, uri_path;
