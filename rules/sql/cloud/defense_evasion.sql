-- id: cloud.defense_evasion
-- title: Logging or detection disabled (CloudTrail, GuardDuty, Config, flow logs, Security Hub)
-- severity: critical
-- attack: T1562.008
-- phase: defense_evasion
-- evidence: cloudtrail_events
SELECT event_name AS event, coalesce(arn, principal_id) AS principal, source_ip AS ip,
       error_code, count(*) AS calls, min(time) AS time,
       json_group_array('cloudtrail_events:' || id) AS evidence
FROM cloudtrail_events
WHERE event_name IN ('StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors',
                     'PutInsightSelectors', 'DeleteDetector', 'UpdateDetector',
                     'DeleteMembers', 'DisassociateFromMasterAccount',
                     'DisassociateFromAdministratorAccount', 'CreateFilter', 'UpdateFilter',
                     'DeleteFlowLogs', 'StopConfigurationRecorder',
                     'DeleteConfigurationRecorder', 'DeleteDeliveryChannel', 'DisableSecurityHub',
                     'DeleteLogGroup', 'DeleteLogStream', 'PutBucketLogging')
GROUP BY event_name, coalesce(arn, principal_id), source_ip, error_code;
