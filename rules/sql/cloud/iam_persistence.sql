-- id: cloud.iam_persistence
-- title: IAM persistence: user, access key, login profile or policy created or attached
-- severity: high
-- attack: T1098.001
-- phase: persistence
-- evidence: cloudtrail_events
SELECT event_name AS event, coalesce(arn, principal_id) AS principal, source_ip AS ip,
       count(*) AS calls, min(time) AS time,
       json_group_array('cloudtrail_events:' || id) AS evidence
FROM cloudtrail_events
WHERE event_name IN ('CreateUser', 'CreateAccessKey', 'CreateLoginProfile', 'UpdateLoginProfile',
                     'AttachUserPolicy', 'AttachRolePolicy', 'AttachGroupPolicy', 'PutUserPolicy',
                     'PutRolePolicy', 'PutGroupPolicy', 'AddUserToGroup', 'CreateRole',
                     'UpdateAssumeRolePolicy', 'CreatePolicyVersion', 'SetDefaultPolicyVersion',
                     'CreateServiceLinkedRole', 'CreateOpenIDConnectProvider', 'CreateSAMLProvider')
  AND error_code IS NULL
GROUP BY event_name, coalesce(arn, principal_id), source_ip;
