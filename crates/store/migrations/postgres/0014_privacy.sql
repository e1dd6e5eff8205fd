-- Privacy (issue 13). The reporter's name is no longer copied into the timeline: their own
-- events say "reporter", and views read the name from the case, masked by role.
UPDATE case_events SET actor_name = 'reporter' WHERE actor_type = 'reporter';
