-- Day spine MetricFlow needs to aggregate metrics over time (2015–2035).
select day::date as date_day
from generate_series('2015-01-01'::date, '2035-12-31'::date, interval '1 day') as day
