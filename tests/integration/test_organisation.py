"""The organisation and its plans survive a round trip through the database exactly."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from core.org import Campaign, Cluster, Council, Organisation, Unit, UnitKind, Validity
from core.plan import (
    EVENT_AWARD_PRESENTATION,
    REGULAR,
    AbsoluteDue,
    Frequency,
    MonthDue,
    MonthlyDue,
    Plan,
    PlanTask,
    QuarterDue,
    RecurringDue,
    RelativeDue,
    UndatedDue,
    UnitGroup,
    UnitRef,
)
from storage.uow import Database

DISTRICT_YEARS = Validity(None, date(2025, 6, 30))


def an_organisation() -> Organisation:
    # Listed out of alphabetical order on purpose: the file's order must come back.
    return Organisation(
        council=Council(
            key="hdtdkt-hoan-kiem",
            name="Hội đồng Thi đua - Khen thưởng quận Hoàn Kiếm",
            secretariat_key="phong-noi-vu",
            validity=DISTRICT_YEARS,
        ),
        units=(
            Unit(
                "phong-noi-vu", "Phòng Nội vụ quận", UnitKind.DEPARTMENT, (), None, DISTRICT_YEARS
            ),
            Unit(
                "phuong-hang-bac",
                "Phường Hàng Bạc",
                UnitKind.WARD,
                ("Hàng Bạc", "P. Hàng Bạc"),
                None,
                DISTRICT_YEARS,
            ),
            Unit(
                "phong-gd-dt",
                "Phòng Giáo dục và Đào tạo",
                UnitKind.DEPARTMENT,
                ("Phòng GD&ĐT",),
                "phong-noi-vu",
                Validity(date(2010, 1, 1), None),
            ),
            Unit("hoan-kiem-ward", "Phường Hoàn Kiếm", UnitKind.WARD),
        ),
        clusters=(
            Cluster(
                "cum-1",
                "Cụm thi đua số 1",
                ("phuong-hang-bac", "phong-gd-dt"),
                "phuong-hang-bac",
                None,
                Validity(date(2018, 1, 1), date(2018, 12, 31)),
            ),
        ),
        campaigns=(
            Campaign(
                "an-toan-thuc-pham",
                "Thi đua “An toàn thực phẩm”",
                "food-safety",
                "Vận động các hộ kinh doanh ký cam kết.",
            ),
            Campaign(
                "dan-van-kheo",
                "Dân vận khéo",
                "mass-mobilisation",
                "Phong trào thi đua “Dân vận khéo”.",
                Validity(date(2018, 1, 1), None),
            ),
        ),
    )


def a_plan() -> Plan:
    return Plan(
        key="kh-54-2018",
        number="54/KH-HĐTĐKT",
        title="Kế hoạch công tác thi đua, khen thưởng năm 2018",
        year=2018,
        issued_on=date(2017, 12, 15),
        council_key="hdtdkt-hoan-kiem",
        tasks=(
            PlanTask(
                number=3,
                quarter="I",
                content="Tổ chức Hội nghị tổng kết công tác thi đua, khen thưởng năm 2017",
                lead=(UnitRef.of_unit("phong-noi-vu"),),
                coordinating=(
                    UnitRef.of_group(UnitGroup.ALL_UNITS),
                    UnitRef.of_unit("phuong-hang-bac"),
                ),
                due_as_written="Hồ sơ gửi trước ngày 15/3/2018",
                due=AbsoluteDue(date(2018, 3, 15), dossier=True),
            ),
            PlanTask(
                number=1,
                quarter="II",
                content="Đề nghị tặng Huân chương Lao động",
                lead=(UnitRef.of_group(UnitGroup.COUNCIL),),
                coordinating=(),
                due_as_written="Hồ sơ gửi trước 90 ngày dự kiến trao tặng",
                due=RelativeDue(90, EVENT_AWARD_PRESENTATION, dossier=True),
            ),
            PlanTask(
                number=2,
                quarter=REGULAR,
                content="Tiếp nhận, thẩm định hồ sơ khen thưởng",
                lead=(UnitRef.of_unit("phong-noi-vu"),),
                coordinating=(UnitRef.of_group(UnitGroup.RELATED_UNITS),),
                due_as_written="Hàng tháng, quý",
                due=RecurringDue(Frequency.MONTHLY_QUARTERLY),
            ),
            PlanTask(
                number=4,
                quarter="IV",
                content="Một việc có thời hạn không đọc được",
                lead=(UnitRef.of_group(UnitGroup.ALL_CLUSTERS),),
                coordinating=(),
                due_as_written="Cuối năm",
                due=None,
            ),
        ),
    )


async def test_there_is_no_organisation_before_a_plan_file_was_loaded(database: Database) -> None:
    async with database.uow() as uow:
        assert await uow.organisation.load() is None


async def test_a_replaced_organisation_loads_back_equal_in_file_order(database: Database) -> None:
    organisation = an_organisation()
    async with database.uow() as uow:
        await uow.organisation.replace(organisation)
        await uow.commit()

    async with database.uow() as uow:
        assert await uow.organisation.load() == organisation


async def test_replacing_again_updates_by_key_and_drops_what_is_gone(database: Database) -> None:
    async with database.uow() as uow:
        await uow.organisation.replace(an_organisation())
        await uow.commit()

    before = an_organisation()
    renamed = replace(before.units[1], name="Phường Hàng Bạc (cũ)", validity=DISTRICT_YEARS)
    after = Organisation(
        council=replace(before.council, name="Hội đồng Thi đua - Khen thưởng"),
        units=(before.units[3], renamed, before.units[0]),
        clusters=(),
        campaigns=before.campaigns[1:],
    )
    async with database.uow() as uow:
        await uow.organisation.replace(after)
        await uow.commit()

    async with database.uow() as uow:
        assert await uow.organisation.load() == after


async def test_a_saved_plan_comes_back_equal_with_its_tasks_in_order(database: Database) -> None:
    plan = a_plan()
    async with database.uow() as uow:
        await uow.organisation.save_plan(plan)
        await uow.commit()

    async with database.uow() as uow:
        found = await uow.organisation.get_plan(plan.key)
        missing = await uow.organisation.get_plan("kh-1-1999")

    assert found == plan
    assert found is not None
    assert [task.number for task in found.tasks] == [3, 1, 2, 4]
    assert missing is None


async def test_saving_a_plan_again_replaces_its_tasks(database: Database) -> None:
    plan = a_plan()
    async with database.uow() as uow:
        await uow.organisation.save_plan(plan)
        await uow.commit()

    revised = replace(plan, title="Kế hoạch (sửa đổi)", tasks=plan.tasks[1:2])
    async with database.uow() as uow:
        await uow.organisation.save_plan(revised)
        await uow.commit()

    async with database.uow() as uow:
        assert await uow.organisation.get_plan(plan.key) == revised


async def test_every_kind_of_due_rule_comes_back_equal(database: Database) -> None:
    rules = [
        ("Chậm nhất ngày 20/5/2018", AbsoluteDue(date(2018, 5, 20), inclusive=True)),
        ("Trong tháng 3", MonthDue(3)),
        ("Tháng 3/2018", MonthDue(3, 2018)),
        ("Quý I/2018", QuarterDue(1, 2018)),
        ("Trong quý II", QuarterDue(2)),
        ("Hàng quý", RecurringDue(Frequency.QUARTERLY)),
        ("Trước ngày 20 hằng tháng", MonthlyDue(20)),
        ("Ngày 25 hàng tháng", MonthlyDue(25, inclusive=True)),
        ("Thường xuyên", RecurringDue(Frequency.CONTINUOUS)),
        ("Theo kế hoạch của Thành phố", UndatedDue()),
    ]
    template = a_plan().tasks[0]
    plan = replace(
        a_plan(),
        tasks=tuple(
            replace(template, number=number, due_as_written=text, due=rule)
            for number, (text, rule) in enumerate(rules, start=1)
        ),
    )
    async with database.uow() as uow:
        await uow.organisation.save_plan(plan)
        await uow.commit()

    async with database.uow() as uow:
        assert await uow.organisation.get_plan(plan.key) == plan


async def test_the_demo_files_successors_and_council_level_come_back_equal(
    database: Database,
) -> None:
    from bot.plans import DEMO_PLAN, TODAY_PLAN, read_plan_file

    for path in (DEMO_PLAN, TODAY_PLAN):
        organisation = read_plan_file(path).organisation
        assert organisation is not None
        assert any(unit.successors for unit in organisation.units)
        assert organisation.council.level is not None
        async with database.uow() as uow:
            await uow.organisation.replace(organisation)
            await uow.commit()
        async with database.uow() as uow:
            assert await uow.organisation.load() == organisation
