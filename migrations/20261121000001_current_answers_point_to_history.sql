-- current_answers no longer copies the answers: it points at the history row (respondent_id, revision) that holds
-- them. Every save used to write its answers twice; measured with quire-load, writing them once is the cheaper path.
alter table current_answers drop column answers;
