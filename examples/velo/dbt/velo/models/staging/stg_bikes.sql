select
    bike_id,
    model as bike_model,
    is_electric,
    commissioned_on
from {{ ref('raw_bikes') }}
