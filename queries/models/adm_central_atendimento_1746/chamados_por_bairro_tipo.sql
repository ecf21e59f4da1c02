-- Calls per bairro and service type. Calls without a bairro are kept, with
-- id_bairro, bairro and subprefeitura empty.
select
    chamado.id_bairro,
    bairro.nome as bairro,
    bairro.subprefeitura,
    chamado.tipo,
    count(*) as quantidade_chamados
from {{ ref('chamado') }} as chamado
left join {{ ref('bairro') }} as bairro
    on chamado.id_bairro = bairro.id_bairro
group by 1, 2, 3, 4
