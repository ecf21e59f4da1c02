-- 1746 service calls, typed and with the category text trimmed.
select
    cast(id_chamado as bigint) as id_chamado,
    cast(data_inicio as timestamp) as data_inicio,
    cast(id_bairro as integer) as id_bairro,
    trim(tipo) as tipo,
    cast(data_particao as date) as data_particao
from {{ source('adm_central_atendimento_1746_staging', 'chamado') }}
