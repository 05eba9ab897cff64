-- The surveys a school coordinator works on. A coordinator acts only on their own school, and only in the surveys
-- granted here (`quire create-admin --role coordinator --school … --survey …`); administrators need no grant.
create table coordinator_surveys (
    admin_id   uuid not null references admins (id) on delete cascade,
    survey_id  text not null references surveys (survey_id) on delete cascade,
    primary key (admin_id, survey_id)
);

-- Coordinators who existed before grants keep what they could reach: the surveys that have people at their school.
insert into coordinator_surveys (admin_id, survey_id)
select distinct a.id, g.survey_id
from admins a
join group_progress g on g.school = a.school
where a.role = 'coordinator'
on conflict do nothing;
